using System.Net;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OpenIddict.Validation;
using OpenIddict.Validation.AspNetCore;
using Plinto.IdentityServer.Data;
using Plinto.IdentityServer.Tests.Infrastructure;

namespace Plinto.IdentityServer.Tests.Admin;

/// <summary>
/// OpenIddict's bearer validation runs for the admin API only (Admin/OnDemandBearerValidation.cs): other requests never
/// enter its pipeline, while the admin API still accepts a valid token and refuses a missing or invalid one with the
/// Bearer challenge of RFC 6750 §3.
/// </summary>
internal sealed class OnDemandBearerValidationTests
{
    private const string ValidationDispatcher = "OpenIddict.Validation.OpenIddictValidationDispatcher";

    private readonly RecordingLog log = new();
    private PlintoFactory factory = null!;
    private WebApplicationFactory<Program> node = null!;
    private HttpClient client = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        factory = await PlintoFactory.CreateAsync(DatabaseProvider.Sqlite);
        node = log.On(factory);
        client = node.CreateClient();
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        client.Dispose();
        await node.DisposeAsync();
        await factory.DisposeAsync();
    }

    [Test]
    public async Task Requests_outside_the_admin_api_never_enter_the_validation_pipeline()
    {
        var before = log.Count;
        foreach (var path in new[] { "/health/live", "/account/signin", "/.well-known/openid-configuration", "/openapi/admin.json" })
        {
            using var response = await client.GetAsync(new Uri(path, UriKind.Relative));
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), path);
        }

        Assert.That(ValidationEntries(before), Is.Empty);
    }

    [Test]
    public async Task The_admin_api_accepts_a_valid_token_and_challenges_a_missing_or_invalid_one()
    {
        var token = await AdminApiClient.AutomationTokenAsync(client);
        var organization = await AdminApiClient.CreateOrganizationAsync(client, token, AdminApiClient.NewSlug(), ownerUserId: null);
        var before = log.Count;

        var (status, json) = await AdminApiClient.SendAsync(client, HttpMethod.Get, $"/api/organizations/{organization}", token);
        using var missing = await client.GetAsync(new Uri($"/api/organizations/{organization}", UriKind.Relative));
        using var invalid = await GetWithBearerAsync($"/api/organizations/{organization}", token[..^4] + "AAAA");

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), json.ToString());
        Assert.That(json.GetProperty("id").GetString(), Is.EqualTo(organization));
        Assert.That(ValidationEntries(before), Is.Not.Empty, "the admin API's requests went through OpenIddict's validation");
        Assert.That(missing.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(missing.Headers.WwwAuthenticate.Select(h => h.Scheme), Is.EqualTo(new[] { "Bearer" }));
        Assert.That(invalid.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(invalid.Headers.WwwAuthenticate.ToString(), Does.Contain("error=\"invalid_token\""));
    }

    [Test]
    public void Validations_request_step_only_resolves_the_request_uri()
    {
        // What the lever defers: OpenIddict 7.8's request step for validation has one handler, which notes the request's
        // base and request URIs (read later as the accepted issuer when none is configured). A new OpenIddict version
        // that adds one — especially one that answers or rejects requests, which the wrapper refuses to defer — must be
        // looked at before shipping (docs/development.md, "Upgrading OpenIddict").
        var options = node.Services.GetRequiredService<IOptionsMonitor<OpenIddictValidationOptions>>().CurrentValue;

        var requestStep = options.Handlers
            .Where(descriptor => descriptor.ContextType == typeof(OpenIddictValidationEvents.ProcessRequestContext))
            .Select(descriptor => descriptor.ServiceDescriptor.ServiceType);

        Assert.That(requestStep, Is.EqualTo(new[] { typeof(OpenIddictValidationAspNetCoreHandlers.ResolveRequestUri) }));
    }

    private async Task<HttpResponseMessage> GetWithBearerAsync(string path, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await client.SendAsync(request);
    }

    private IEnumerable<string> ValidationEntries(int before) =>
        log.Since(before).Where(entry => entry.Category.StartsWith("OpenIddict.Validation", StringComparison.Ordinal)).Select(entry => $"{entry.Category}: {entry.Message}");
}
