using System.Threading.Channels;
using MimeKit;

namespace Plinto.IdentityServer.Account.Email;

/// <summary>
/// Messages are handed to a background sender so that a page answers in the same time whether or not it sent
/// one: "we sent you a link if the account exists" must not be told apart by SMTP latency (no enumeration).
/// </summary>
internal sealed class MailQueue
{
    // Typed with a class of ours rather than MimeKit's message: creating the queue at start then does not load MimeKit.
    private readonly Channel<QueuedMail> channel = Channel.CreateBounded<QueuedMail>(
        new BoundedChannelOptions(1000) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });

    public bool TryEnqueue(MimeMessage message) => channel.Writer.TryWrite(new QueuedMail(message));

    public ChannelReader<QueuedMail> Reader => channel.Reader;

    public void Complete() => channel.Writer.TryComplete();
}

internal sealed class QueuedMail(MimeMessage message)
{
    public MimeMessage Message { get; } = message;
}

internal sealed partial class MailDispatcher(MailQueue queue, IMailTransport transport, ILogger<MailDispatcher> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await foreach (var mail in queue.Reader.ReadAllAsync(stoppingToken))
        {
            try
            {
                await transport.SendAsync(mail.Message, stoppingToken);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                // Only the kind of failure: SMTP error texts often quote the recipient. The person can ask again.
                LogSendFailed(logger, exception.GetType().Name, mail.Message.MessageId ?? "-");
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not send message {MessageId}: {FailureType}.")]
    private static partial void LogSendFailed(ILogger logger, string failureType, string messageId);
}
