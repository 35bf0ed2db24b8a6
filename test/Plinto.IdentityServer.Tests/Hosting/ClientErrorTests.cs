using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Plinto.IdentityServer.Data;
using Plinto.IdentityServer.Tests.Infrastructure;

namespace Plinto.IdentityServer.Tests.Hosting;

/// <summary>
/// Requests the client breaks — a form over its limits, a body cut short by a disconnect — are the client's errors:
/// a 4xx in the endpoint's own format, nothing at Error level in the log (operators alert on it), and the node keeps
/// serving. Before: the error page, re-executed for the POST, read the broken body again and failed a second time,
/// and every such request was logged as an unhandled server exception with its stack trace.
/// </summary>
internal sealed class ClientErrorTests
{
    private const string DebugCategory = "Plinto.IdentityServer.Hosting.HostingServiceCollectionExtensions";

    private readonly RecordingLog log = new();
    private PlintoFactory factory = null!;
    private WebApplicationFactory<Program> node = null!;
    private int port;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        // Plain HTTP on a real socket: OpenIddict refuses it before reading a body unless HTTPS is not required.
        factory = await PlintoFactory.CreateAsync(DatabaseProvider.Sqlite, new Dictionary<string, string?> { ["Plinto:RequireHttps"] = "false" });
        node = log.On(factory);
        node.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        node.StartServer();
        port = new Uri(node.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single()).Port;
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        await node.DisposeAsync();
        await factory.DisposeAsync();
    }

    [TestCase("/connect/token", "grant_type=client_credentials&client_id=machine&client_secret=" + PlintoFactory.MachineSecret)]
    [TestCase("/connect/introspect", "token=abc&client_id=machine&client_secret=" + PlintoFactory.MachineSecret)]
    [TestCase("/connect/revoke", "token=abc&client_id=machine&client_secret=" + PlintoFactory.MachineSecret)]
    public async Task A_form_over_its_limits_at_a_token_endpoint_is_an_invalid_request_in_json(string path, string form)
    {
        var before = log.Count;
        using var client = ClientOf();
        // 300 fields: over the form reader's 256 (HostingServiceCollectionExtensions), so reading the form throws.
        using var response = await client.PostAsync(new Uri(path, UriKind.Relative), new StringContent(
            form + string.Concat(Enumerable.Range(0, 300).Select(i => $"&f{i}=x")), Encoding.ASCII, "application/x-www-form-urlencoded"));

        // RFC 6749 §5.2 (and RFC 7662 §2.3, RFC 7009 §2.2.1): a JSON error, never the HTML error page.
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/json"));
        Assert.That(response.Headers.CacheControl?.NoStore, Is.True);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.That(body.RootElement.GetProperty("error").GetString(), Is.EqualTo("invalid_request"));
        AssertNoServerError(before, path);
    }

    [Test]
    public async Task A_form_over_its_limits_at_a_page_is_the_html_error_page_with_400()
    {
        var before = log.Count;
        using var client = ClientOf();
        using var response = await client.PostAsync(new Uri("/account/signin", UriKind.Relative), new StringContent(
            string.Join('&', Enumerable.Range(0, 300).Select(i => $"f{i}=x")), Encoding.ASCII, "application/x-www-form-urlencoded"));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("text/html"));
        Assert.That(await response.Content.ReadAsStringAsync(), Does.Contain("The request could not be read"));
        AssertNoServerError(before, clientFaultAt: null);
    }

    [TestCase("/connect/token")]
    [TestCase("/connect/introspect")]
    [TestCase("/account/signin")]
    public async Task A_client_that_disconnects_in_the_middle_of_its_body_is_no_server_error(string path)
    {
        var before = log.Count;
        using (var socket = new TcpClient())
        {
            await socket.ConnectAsync(IPAddress.Loopback, port);
            var stream = socket.GetStream();
            // Content-Length promises 200 bytes; 62 come, then the connection closes.
            var head = $"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 200\r\n\r\n";
            await stream.WriteAsync(Encoding.ASCII.GetBytes(head + "grant_type=client_credentials&client_id=machine&client_secret=ab"));
            await stream.FlushAsync();
            await Task.Delay(200);
        }

        // The node finished the request (hosting's own line) — only then is "nothing at Error level" worth asserting.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!log.Since(before).Any(e => e.Message.StartsWith("Request finished HTTP/1.1 POST", StringComparison.Ordinal) && e.Message.Contains(path, StringComparison.Ordinal))
            && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        Assert.That(DateTime.UtcNow, Is.LessThan(deadline), "the request finished");
        // Which exception the read ends with (an unexpected end of the body, or the abort) depends on timing; both are
        // the client's doing (ASP.NET Core logs an aborted request at Debug itself), so only "no error" is asserted.
        AssertNoServerError(before, clientFaultAt: null);
        using var client = ClientOf();
        using var health = await client.GetAsync(new Uri("/health/ready", UriKind.Relative));
        Assert.That(health.StatusCode, Is.EqualTo(HttpStatusCode.OK), "the node keeps serving");
    }

    /// <summary>Nothing at Error level since <paramref name="before"/>; where the request failed with an exception, the Debug line saying whose fault it was.</summary>
    private void AssertNoServerError(int before, string? clientFaultAt)
    {
        Assert.That(log.Errors(before), Is.Empty);
        if (clientFaultAt is not null)
        {
            Assert.That(log.Since(before).Where(e => e.Category == DebugCategory).Select(e => e.Message),
                Has.Some.StartsWith($"The client broke the request to {clientFaultAt}: "));
        }
    }

    private HttpClient ClientOf() => new() { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
}
