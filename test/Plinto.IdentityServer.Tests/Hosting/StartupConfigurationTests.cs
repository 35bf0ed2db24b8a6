using System.Net;
using Plinto.IdentityServer.Data;
using Plinto.IdentityServer.Tests.Infrastructure;

namespace Plinto.IdentityServer.Tests.Hosting;

/// <summary>Bad configuration stops start-up with a message that names the key; bad requests never stop the server.</summary>
internal sealed class StartupConfigurationTests
{
    [TestCase("Plinto:Clients:0:RedirectUris:0", "not a uri", "Plinto:Clients:0:RedirectUris:0")]
    [TestCase("Plinto:Clients:0:ClientSecret", "too-short", "Plinto:Clients:0:ClientSecret")]
    [TestCase("Plinto:Clients:1:GrantTypes:0", "password", "Plinto:Clients:1:GrantTypes:0")]
    [TestCase("Plinto:Clients:1:GrantTypes:0", "client_credentials", "Plinto:Clients:1:GrantTypes")]
    [TestCase("Plinto:Clients:2:Scopes:0", "unknown-scope", "Plinto:Clients:2:Scopes:0")]
    [TestCase("Plinto:Clients:0:ConsentType", "sometimes", "Plinto:Clients:0:ConsentType")]
    [TestCase("Plinto:Clients:1:ClientId", "web", "Plinto:Clients:1:ClientId")]
    [TestCase("Plinto:Database:Provider", "Oracle", "Plinto:Database:Provider")]
    [TestCase("Plinto:Tokens:AuthorizationCodeLifetime", "01:00:00", "Plinto:Tokens:AuthorizationCodeLifetime")]
    [TestCase("Plinto:Jobs:TokenPruningSchedule", "every day", "Plinto:Jobs:TokenPruningSchedule")]
    [TestCase("Plinto:Issuer", "", "Plinto:Issuer")]
    [TestCase("Plinto:Bootstrap:AdminEmail", "root@example.test", "Plinto:Bootstrap:AdminPassword")]
    [TestCase("Plinto:Organizations:InvitationLifetime", "90.00:00:00", "Plinto:Organizations:InvitationLifetime")]
    [TestCase("Plinto:Clients:0:InitiateLoginUri", "http://client.example.test/login", "Plinto:Clients:0:InitiateLoginUri")]
    [TestCase("Plinto:Organizations:DnsServers:0", "dns.example.com", "Plinto:Organizations:DnsServers")]
    public async Task Invalid_configuration_stops_start_up_naming_the_key(string key, string value, string named)
    {
        await using var factory = await PlintoFactory.CreateAsync(DatabaseProvider.Sqlite, new Dictionary<string, string?> { [key] = value });

        var failure = Assert.Catch(() => _ = factory.Server);
        Assert.That(Flatten(failure!), Does.Contain(named));
    }

    [Test]
    public async Task A_malformed_json_configuration_file_stops_start_up_naming_the_file()
    {
        var file = Path.Combine(Path.GetTempPath(), $"plinto-bad-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, """{ "Plinto": { "Issuer": "https://id.example.test", } ,,, """);
        try
        {
            var folder = Directory.CreateTempSubdirectory("plinto-test-").FullName;
            await using var factory = new PlintoFactory(DatabaseProvider.Sqlite, $"Data Source={Path.Combine(folder, "p.db")}", folder)
            {
                JsonConfigurationFile = file,
            };

            var failure = Assert.Catch(() => _ = factory.Server);
            Assert.That(Flatten(failure!), Does.Contain(Path.GetFileName(file)));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Test]
    public async Task An_oversized_form_is_refused_and_the_server_keeps_serving()
    {
        await using var factory = await PlintoFactory.CreateAsync(DatabaseProvider.Sqlite);
        var client = factory.CreateClient();

        using var huge = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = PlintoFactory.MachineClientId,
            ["scope"] = new string('a', 2 * 1024 * 1024),
        });
        var response = await client.PostAsync("/connect/token", huge);
        Assert.That((int)response.StatusCode, Is.InRange(400, 499));
        Assert.That(await response.Content.ReadAsStringAsync(), Does.Not.Contain("   at "), "no stack trace");

        var many = await client.PostAsync("/account/signin", new FormUrlEncodedContent(
            Enumerable.Range(0, 5000).Select(i => new KeyValuePair<string, string>("f" + i, "v"))));
        Assert.That((int)many.StatusCode, Is.InRange(400, 499));

        var healthy = await client.GetAsync("/health/live");
        Assert.That(healthy.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    private static string Flatten(Exception exception)
    {
        var messages = new List<string>();
        for (Exception? e = exception; e is not null; e = e.InnerException)
        {
            messages.Add(e.Message);
            if (e is AggregateException aggregate)
            {
                messages.AddRange(aggregate.InnerExceptions.Select(Flatten));
            }
        }

        return string.Join(" | ", messages);
    }
}
