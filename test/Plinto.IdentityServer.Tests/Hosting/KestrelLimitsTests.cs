using System.Net;
using System.Net.Sockets;
using Plinto.IdentityServer.Data;
using Plinto.IdentityServer.Tests.Infrastructure;

namespace Plinto.IdentityServer.Tests.Hosting;

/// <summary>
/// Kestrel's limits come from configuration (<c>Kestrel:Limits</c>), as the operations guide tells operators to bound
/// connections and slow clients; ASP.NET Core alone binds only endpoints and certificates from there.
/// </summary>
internal sealed class KestrelLimitsTests
{
    [Test]
    public async Task Limits_from_configuration_bound_connections_and_headers()
    {
        var folder = Directory.CreateTempSubdirectory("plinto-limits-").FullName;
        try
        {
            var settings = PlintoFactory.BaseSettings(DatabaseProvider.Sqlite, await TestDatabases.CreateAsync(DatabaseProvider.Sqlite, folder), folder);
            settings["Plinto:Issuer"] = "http://plinto.limits.test/";
            settings["Plinto:RequireHttps"] = "false";
            settings["Kestrel:Limits:MaxRequestHeadersTotalSize"] = "4096";
            settings["Kestrel:Limits:MaxConcurrentConnections"] = "1";
            await using var node = PlintoProcess.Start(settings);
            await node.WaitUntilReadyAsync(TimeSpan.FromSeconds(90));

            using (var client = new HttpClient { BaseAddress = node.BaseAddress })
            {
                using var small = await client.GetAsync(new Uri("/health/live", UriKind.Relative));
                Assert.That(small.StatusCode, Is.EqualTo(HttpStatusCode.OK), node.Output);
                using var large = new HttpRequestMessage(HttpMethod.Get, "/health/live");
                large.Headers.Add("X-Padding", new string('a', 8192));
                using var refused = await client.SendAsync(large);
                Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.RequestHeaderFieldsTooLarge), "headers over the configured total");
            }

            // One connection served and held open (keep-alive): the next one is not served. (The connections before it
            // may take a moment to be counted as closed: it is retried until it is served.)
            using var held = await HeldConnectionAsync(node);
            using var second = new HttpClient { BaseAddress = node.BaseAddress, Timeout = TimeSpan.FromSeconds(10) };
            Assert.CatchAsync<HttpRequestException>(() => second.GetAsync(new Uri("/health/live", UriKind.Relative)),
                "a connection over the configured limit is closed");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static async Task<TcpClient> HeldConnectionAsync(PlintoProcess node)
    {
        for (var attempt = 0; ; attempt++)
        {
            var connection = new TcpClient();
            try
            {
                await connection.ConnectAsync(node.BaseAddress.Host, node.BaseAddress.Port);
                var stream = connection.GetStream();
                await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes($"GET /health/live HTTP/1.1\r\nHost: {node.BaseAddress.Authority}\r\n\r\n"));
                var buffer = new byte[256];
                var read = await stream.ReadAsync(buffer);
                if (System.Text.Encoding.ASCII.GetString(buffer, 0, read).StartsWith("HTTP/1.1 200", StringComparison.Ordinal))
                {
                    return connection;
                }
            }
            catch (IOException)
            {
                // Closed by the server: over the limit while an earlier connection was still counted.
            }

            connection.Dispose();
            Assert.That(attempt, Is.LessThan(20), "a single connection is served");
            await Task.Delay(100);
        }
    }
}
