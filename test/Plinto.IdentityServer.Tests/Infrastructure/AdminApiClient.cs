using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace Plinto.IdentityServer.Tests.Infrastructure;

/// <summary>Calls the admin API (<c>/api/organizations</c>) with a bearer token, as an operator's script would.</summary>
internal static class AdminApiClient
{
    /// <summary>A client_credentials token of the automation client (platform scope).</summary>
    public static async Task<string> AutomationTokenAsync(HttpClient client)
    {
        var response = await OidcClient.TokenAsync(client, PlintoFactory.AutomationClientId, PlintoFactory.AutomationSecret,
            new Dictionary<string, string> { ["grant_type"] = "client_credentials", ["scope"] = "plinto:admin" });
        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.OK), response.Json.ToString());
        return response.Get("access_token");
    }

    public static async Task<(HttpStatusCode Status, JsonElement Json)> SendAsync(
        HttpClient client, HttpMethod method, string path, string? token, object? body = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }

        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    public static async Task<JsonElement> ExpectAsync(
        HttpClient client, HttpMethod method, string path, string? token, object? body = null, HttpStatusCode expected = HttpStatusCode.OK)
    {
        var (status, json) = await SendAsync(client, method, path, token, body);
        Assert.That(status, Is.EqualTo(expected), $"{method} {path}: {json}");
        return json;
    }

    public static string NewSlug(string prefix = "org") => $"{prefix}-{Guid.NewGuid():N}"[..24];

    /// <summary>Creates an organization with the given owner (null: none); returns its id.</summary>
    public static async Task<string> CreateOrganizationAsync(HttpClient client, string token, string slug, string? ownerUserId, string? name = null)
    {
        var created = await ExpectAsync(client, HttpMethod.Post, "/api/organizations", token,
            new { name = name ?? $"Org {slug}", slug, ownerUserId }, HttpStatusCode.Created);
        return created.GetProperty("id").GetString()!;
    }

    public static Task<JsonElement> AddMemberAsync(HttpClient client, string token, string organizationId, string userId, params string[] roles) =>
        ExpectAsync(client, HttpMethod.Post, $"/api/organizations/{organizationId}/members", token, new { userId, roles });
}
