using System.Net;
using System.Text;

namespace Plinto.IdentityServer.Tests.Infrastructure;

/// <summary>Serves one document over HTTP on loopback (an IdP's metadata URL), replaceable while running.</summary>
internal sealed class MetadataServer : IAsyncDisposable
{
    private readonly HttpListener listener;
    private readonly Task loop;
    private volatile string document = string.Empty;

    public MetadataServer()
    {
        // HttpListener cannot bind port 0; a port found free can be taken by another process before the bind, so a
        // failed bind (which also disposes that listener) tries another port with a new one.
        for (var attempt = 1; ; attempt++)
        {
            var port = PlintoProcess.FreePort();
            var candidate = new HttpListener();
            candidate.Prefixes.Add($"http://127.0.0.1:{port}/");
            try
            {
                candidate.Start();
            }
            catch (HttpListenerException) when (attempt < 5)
            {
                continue; // taken in between
            }

            listener = candidate;
            Url = $"http://127.0.0.1:{port}/metadata.xml";
            break;
        }

        loop = Task.Run(ServeAsync);
    }

    public string Url { get; }

    public string Document
    {
        get => document;
        set => document = value;
    }

    private async Task ServeAsync()
    {
        while (listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await listener.GetContextAsync();
            }
            catch (HttpListenerException) when (!listener.IsListening)
            {
                return; // stopped
            }
            catch (ObjectDisposedException)
            {
                return; // stopped
            }

            var bytes = Encoding.UTF8.GetBytes(document);
            context.Response.ContentType = "application/samlmetadata+xml";
            context.Response.ContentLength64 = bytes.Length;
            await context.Response.OutputStream.WriteAsync(bytes);
            context.Response.Close();
        }
    }

    public async ValueTask DisposeAsync()
    {
        listener.Stop();
        await loop;
        listener.Close();
    }
}
