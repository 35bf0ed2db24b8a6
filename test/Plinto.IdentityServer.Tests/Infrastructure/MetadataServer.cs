using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Plinto.IdentityServer.Tests.Infrastructure;

/// <summary>Serves one document over HTTP on loopback (an IdP's metadata URL), replaceable while running.</summary>
internal sealed class MetadataServer : IAsyncDisposable
{
    private readonly HttpListener listener = new();
    private readonly Task loop;
    private volatile string document = string.Empty;

    public MetadataServer()
    {
        var port = FreePort();
        Url = $"http://127.0.0.1:{port}/metadata.xml";
        listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        listener.Start();
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

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}
