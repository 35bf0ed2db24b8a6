using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace Plinto.IdentityServer.Tests.Scim;

/// <summary>What an identity provider's SCIM client does: JSON in <c>application/scim+json</c> with a bearer token.</summary>
internal sealed class ScimClient(HttpClient client, string token)
{
    public async Task<(HttpStatusCode Status, JsonObject? Body, HttpResponseMessage Response)> SendAsync(
        HttpMethod method, string path, string? json = null, string? ifMatch = null)
    {
        using var request = new HttpRequestMessage(method, "/scim/v2" + path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, "application/scim+json");
        }

        if (ifMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        }

        var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text)!.AsObject(), response);
    }

    public async Task<JsonObject> ExpectAsync(HttpMethod method, string path, string? json, HttpStatusCode expected, string? ifMatch = null)
    {
        var (status, body, response) = await SendAsync(method, path, json, ifMatch);
        Assert.That(status, Is.EqualTo(expected), $"{method} {path}: {body?.ToJsonString()}");
        if (body is not null)
        {
            Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/scim+json"));
        }

        return body ?? new JsonObject();
    }

    public Task<JsonObject> GetAsync(string path) => ExpectAsync(HttpMethod.Get, path, null, HttpStatusCode.OK);

    /// <summary>Asserts a SCIM error body (RFC 7644 §3.12) with the status and scimType.</summary>
    public async Task<JsonObject> ExpectErrorAsync(HttpMethod method, string path, string? json, HttpStatusCode status, string? scimType, string? ifMatch = null)
    {
        var body = await ExpectAsync(method, path, json, status, ifMatch);
        Assert.Multiple(() =>
        {
            Assert.That(body["schemas"]![0]!.GetValue<string>(), Is.EqualTo("urn:ietf:params:scim:api:messages:2.0:Error"));
            Assert.That(body["status"]!.GetValue<string>(), Is.EqualTo(((int)status).ToString(System.Globalization.CultureInfo.InvariantCulture)));
            Assert.That(body["scimType"]?.GetValue<string>(), Is.EqualTo(scimType));
        });
        return body;
    }

    public static string UserJson(string userName, string? email = null, string? externalId = null, string given = "Barbara", string family = "Jensen",
        string? password = null, bool active = true) =>
        new JsonObject
        {
            ["schemas"] = new JsonArray("urn:ietf:params:scim:schemas:core:2.0:User"),
            ["userName"] = userName,
            ["externalId"] = externalId,
            ["name"] = new JsonObject { ["givenName"] = given, ["familyName"] = family },
            ["displayName"] = $"{given} {family}",
            ["emails"] = new JsonArray(new JsonObject { ["primary"] = true, ["value"] = email ?? userName, ["type"] = "work" }),
            ["active"] = active,
            ["password"] = password,
        }.ToJsonString();
}
