using System.Net;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Extensions;
using Microsoft.Extensions.Logging;

namespace Plinto.IdentityServer.EndToEndTests.Infrastructure;

/// <summary>
/// The relying party's end of the redirect URI, really listening on a loopback port the operating system picks when
/// it binds (no port chosen first and bound later): it records what the browser sends to <c>/callback</c> and answers
/// 200. A browser-level route cannot stand in for it: Playwright does not intercept a request that a redirect started,
/// so the browser met a closed port and only Chromium's own retry of its error page reached the route.
/// </summary>
internal sealed class ClientApp : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly ChannelReader<ClientRequest> callbacks;

    private ClientApp(WebApplication app, ChannelReader<ClientRequest> callbacks, string redirectUri)
    {
        this.app = app;
        this.callbacks = callbacks;
        RedirectUri = redirectUri;
    }

    /// <summary>The redirect URI registered for the test client (RFC 8252 §7.3: a loopback IP literal).</summary>
    public string RedirectUri { get; }

    public static ClientApp Start()
    {
        var callbacks = Channel.CreateUnbounded<ClientRequest>();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        app.Run(async context =>
        {
            if (context.Request.Path != "/callback")
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound; // the browser's favicon request
                return;
            }

            using var reader = new StreamReader(context.Request.Body);
            var body = await reader.ReadToEndAsync(context.RequestAborted);
            callbacks.Writer.TryWrite(new ClientRequest(context.Request.Method, new Uri(context.Request.GetEncodedUrl()), body));
            context.Response.ContentType = "text/plain";
            await context.Response.WriteAsync("client received the response", context.RequestAborted);
        });
        app.StartAsync().GetAwaiter().GetResult();
        return new ClientApp(app, callbacks.Reader, new Uri(BoundAddress.Of(app.Services), "/callback").ToString());
    }

    /// <summary>
    /// The next request the browser sent to the redirect URI; a <see cref="TimeoutException"/> after
    /// <paramref name="timeout"/>. A read that timed out is cancelled, so it cannot take a later test's request.
    /// </summary>
    public async Task<ClientRequest> NextCallbackAsync(TimeSpan timeout)
    {
        using var expiry = new CancellationTokenSource(timeout);
        try
        {
            return await callbacks.ReadAsync(expiry.Token);
        }
        catch (OperationCanceledException) when (expiry.IsCancellationRequested)
        {
            throw new TimeoutException($"The browser sent nothing to {RedirectUri} within {timeout.TotalSeconds} s.");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}

internal sealed record ClientRequest(string Method, Uri Url, string Body);
