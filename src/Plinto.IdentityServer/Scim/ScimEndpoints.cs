using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Net.Http.Headers;
using Plinto.IdentityServer.Account;
using Plinto.Scim;

namespace Plinto.IdentityServer.Scim;

/// <summary>
/// <c>/scim/v2</c> (RFC 7644): Users, Groups and the discovery endpoints, authenticated by an organization's SCIM
/// token (Bearer). Every answer is <c>application/scim+json</c>; every error a SCIM error body (§3.12).
/// </summary>
internal static class ScimEndpoints
{
    public const string ContentType = "application/scim+json";
    private const string OrganizationItem = "plinto.scim.organization";

    public static IEndpointRouteBuilder MapPlintoScim(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var scim = endpoints.MapGroup("/scim/v2").DisableAntiforgery().ExcludeFromDescription();

        // Discovery (RFC 7644 §4): public, the same for every organization.
        scim.MapGet("/ServiceProviderConfig", (HttpContext context) => Json(ServiceProviderConfig(BaseUrl(context))));
        scim.MapGet("/Schemas", (HttpContext context) => Json(List([.. Schemas.Select(s => s.ToJson($"{BaseUrl(context)}/Schemas/{s.Id}"))])));
        scim.MapGet("/Schemas/{id}", (string id, HttpContext context) =>
            Schemas.FirstOrDefault(s => s.Id.Equals(id, StringComparison.OrdinalIgnoreCase)) is { } schema
                ? Json(schema.ToJson($"{BaseUrl(context)}/Schemas/{schema.Id}"))
                : Error(ScimUsers.NotFound()));
        scim.MapGet("/ResourceTypes", (HttpContext context) => Json(List([ResourceType("User", BaseUrl(context)), ResourceType("Group", BaseUrl(context))])));
        scim.MapGet("/ResourceTypes/{name}", (string name, HttpContext context) =>
            name is "User" or "Group" ? Json(ResourceType(name, BaseUrl(context))) : Error(ScimUsers.NotFound()));

        var resources = scim.MapGroup(string.Empty).AddEndpointFilter(AuthenticateAsync);
        resources.MapGet("/Users", (HttpContext context, ScimUsers users, CancellationToken ct) => RunAsync(async () =>
        {
            var (start, count) = Paging(context);
            var (total, items) = await users.ListAsync(Organization(context), context.Request.Query["filter"], start, count,
                context.Request.Query["sortBy"], Descending(context), BaseUrl(context), ct);
            return Json(List(items, total, start, context, ScimSchemas.User, ScimSchemas.EnterpriseUser));
        }));
        resources.MapGet("/Users/{id}", (string id, HttpContext context, ScimUsers users, CancellationToken ct) => RunAsync(async () =>
            Json(Project(await users.GetAsync(Organization(context), id, BaseUrl(context), ct), context, ScimSchemas.User, ScimSchemas.EnterpriseUser))));
        resources.MapPost("/Users", (HttpContext context, ScimUsers users, CancellationToken ct) => RunAsync(async () =>
            Created(await users.CreateAsync(Organization(context), await ReadAsync(context), Actor(context), BaseUrl(context), ct))));
        resources.MapPut("/Users/{id}", (string id, HttpContext context, ScimUsers users, CancellationToken ct) => RunAsync(async () =>
            Json(await users.ReplaceAsync(Organization(context), id, await ReadAsync(context), IfMatch(context), Actor(context), BaseUrl(context), ct))));
        resources.MapPatch("/Users/{id}", (string id, HttpContext context, ScimUsers users, CancellationToken ct) => RunAsync(async () =>
            Json(await users.PatchAsync(Organization(context), id, await ReadAsync(context), IfMatch(context), Actor(context), BaseUrl(context), ct))));
        resources.MapDelete("/Users/{id}", (string id, HttpContext context, ScimUsers users, CancellationToken ct) => RunAsync(async () =>
        {
            await users.DeleteAsync(Organization(context), id, IfMatch(context), Actor(context), ct);
            return Results.NoContent();
        }));

        resources.MapGet("/Groups", (HttpContext context, ScimGroups groups, CancellationToken ct) => RunAsync(async () =>
        {
            var (start, count) = Paging(context);
            var (total, items) = await groups.ListAsync(Organization(context), context.Request.Query["filter"], start, count, Descending(context),
                WithMembers(context), BaseUrl(context), ct);
            return Json(List(items, total, start, context, ScimSchemas.Group));
        }));
        resources.MapGet("/Groups/{id}", (string id, HttpContext context, ScimGroups groups, CancellationToken ct) => RunAsync(async () =>
            Json(Project(await groups.GetAsync(Organization(context), id, WithMembers(context), BaseUrl(context), ct), context, ScimSchemas.Group))));
        resources.MapPost("/Groups", (HttpContext context, ScimGroups groups, CancellationToken ct) => RunAsync(async () =>
            Created(await groups.CreateAsync(Organization(context), await ReadAsync(context), Actor(context), BaseUrl(context), ct))));
        resources.MapPut("/Groups/{id}", (string id, HttpContext context, ScimGroups groups, CancellationToken ct) => RunAsync(async () =>
            Json(await groups.ReplaceAsync(Organization(context), id, await ReadAsync(context), IfMatch(context), Actor(context), BaseUrl(context), ct))));
        resources.MapPatch("/Groups/{id}", (string id, HttpContext context, ScimGroups groups, CancellationToken ct) => RunAsync(async () =>
        {
            // Entra sends member changes in bulk and does not need the group back: 204 unless attributes are asked for.
            var wantsBody = context.Request.Query.ContainsKey("attributes") || context.Request.Query.ContainsKey("excludedAttributes");
            var result = await groups.PatchAsync(Organization(context), id, await ReadAsync(context), IfMatch(context), Actor(context), wantsBody, BaseUrl(context), ct);
            return result is null ? Results.NoContent() : Json(Project(result, context, ScimSchemas.Group));
        }));
        resources.MapDelete("/Groups/{id}", (string id, HttpContext context, ScimGroups groups, CancellationToken ct) => RunAsync(async () =>
        {
            await groups.DeleteAsync(Organization(context), id, IfMatch(context), Actor(context), ct);
            return Results.NoContent();
        }));
        return endpoints;
    }

    private static readonly ScimSchema[] Schemas = [ScimSchemas.User, ScimSchemas.EnterpriseUser, ScimSchemas.Group];

    /// <summary>Bearer token → organization; anything else is 401 with a SCIM error body (RFC 7644 §3.12).</summary>
    private static async ValueTask<object?> AuthenticateAsync(EndpointFilterInvocationContext invocation, EndpointFilterDelegate next)
    {
        var context = invocation.HttpContext;
        var header = context.Request.Headers.Authorization.ToString();
        var presented = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header["Bearer ".Length..].Trim() : null;
        var tokens = context.RequestServices.GetRequiredService<ScimTokens>();
        if (await tokens.AuthenticateAsync(presented, context.RequestAborted) is not { } found)
        {
            context.Response.Headers.WWWAuthenticate = "Bearer realm=\"scim\"";
            return Error(new ScimException(401, null, "A valid SCIM bearer token of an organization is required."));
        }

        context.Items[OrganizationItem] = found;
        return await next(invocation);
    }

    private static string Organization(HttpContext context) => (((string OrganizationId, string TokenId))context.Items[OrganizationItem]!).OrganizationId;

    private static string Actor(HttpContext context) => "scim-token:" + (((string OrganizationId, string TokenId))context.Items[OrganizationItem]!).TokenId;

    private static async Task<IResult> RunAsync(Func<Task<IResult>> action)
    {
        try
        {
            return await action();
        }
        catch (ScimException error)
        {
            return Error(error);
        }
    }

    /// <summary>Largest request body (a group PUT with thousands of members fits).</summary>
    private const long MaxBodyBytes = 2 * 1024 * 1024;

    private static async Task<JsonNode?> ReadAsync(HttpContext context)
    {
        if (context.Request.ContentLength > MaxBodyBytes)
        {
            throw new ScimException(StatusCodes.Status413PayloadTooLarge, null, $"The body is larger than {MaxBodyBytes / 1024 / 1024} MiB.");
        }

        if (context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = MaxBodyBytes;
        }

        try
        {
            return await JsonNode.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
        }
        catch (JsonException)
        {
            throw ScimException.BadRequest(ScimErrorType.InvalidSyntax, "The body is not valid JSON.");
        }
        catch (BadHttpRequestException error) when (error.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            throw new ScimException(StatusCodes.Status413PayloadTooLarge, null, $"The body is larger than {MaxBodyBytes / 1024 / 1024} MiB.");
        }
    }

    /// <summary>RFC 7644 §3.4.2.4: startIndex is 1-based (less than 1 means 1); count is capped; 0 returns only the total.</summary>
    private static (int Start, int Count) Paging(HttpContext context)
    {
        var start = int.TryParse(context.Request.Query["startIndex"], NumberStyles.Integer, CultureInfo.InvariantCulture, out var s) ? Math.Max(s, 1) : 1;
        var count = int.TryParse(context.Request.Query["count"], NumberStyles.Integer, CultureInfo.InvariantCulture, out var c)
            ? Math.Clamp(c, 0, ScimUsers.MaxPageSize)
            : 100;
        return (start, count);
    }

    private static bool Descending(HttpContext context) =>
        context.Request.Query["sortOrder"].ToString() is var order && order.Length > 0
            ? order.Equals("descending", StringComparison.OrdinalIgnoreCase)
                ? true
                : order.Equals("ascending", StringComparison.OrdinalIgnoreCase)
                    ? false
                    : throw ScimException.BadRequest(ScimErrorType.InvalidValue, "sortOrder is ascending or descending.")
            : false;

    /// <summary>Members are skipped when the client excludes them (Entra does, to keep large groups cheap).</summary>
    private static bool WithMembers(HttpContext context)
    {
        var excluded = context.Request.Query["excludedAttributes"].ToString();
        var included = context.Request.Query["attributes"].ToString();
        return !excluded.Split(',').Any(a => a.Trim().Equals("members", StringComparison.OrdinalIgnoreCase))
            && (included.Length == 0 || included.Split(',').Any(a => a.Trim().StartsWith("members", StringComparison.OrdinalIgnoreCase)));
    }

    private static string? IfMatch(HttpContext context) =>
        context.Request.Headers.IfMatch.Count > 0 ? context.Request.Headers.IfMatch.ToString() : null;

    private static JsonObject Project(JsonObject resource, HttpContext context, ScimSchema core, params ScimSchema[] extensions)
    {
        ScimProjection.Apply(resource, context.Request.Query["attributes"], context.Request.Query["excludedAttributes"], core, extensions);
        return resource;
    }

    private static JsonObject List(IReadOnlyList<JsonObject> items, int total, int start, HttpContext context, ScimSchema core, params ScimSchema[] extensions) => new()
    {
        ["schemas"] = new JsonArray(ScimSchemaUris.ListResponse),
        ["totalResults"] = total,
        ["startIndex"] = start,
        ["itemsPerPage"] = items.Count,
        ["Resources"] = new JsonArray([.. items.Select(i => (JsonNode)Project(i, context, core, extensions))]),
    };

    private static JsonObject List(IReadOnlyList<JsonObject> items) => new()
    {
        ["schemas"] = new JsonArray(ScimSchemaUris.ListResponse),
        ["totalResults"] = items.Count,
        ["startIndex"] = 1,
        ["itemsPerPage"] = items.Count,
        ["Resources"] = new JsonArray([.. items]),
    };

    private static IResult Json(JsonObject body, int status = StatusCodes.Status200OK)
    {
        return new ScimResult(body, status);
    }

    private static IResult Created(JsonObject resource) => new ScimResult(resource, StatusCodes.Status201Created);

    private static IResult Error(ScimException error) => new ScimResult(error.ToJson(), error.Status);

    /// <summary>A SCIM JSON response, with ETag and Location for single resources (RFC 7644 §3.1, §3.14).</summary>
    private sealed class ScimResult(JsonObject body, int status) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.StatusCode = status;
            httpContext.Response.ContentType = ContentType;
            if (body["meta"] is JsonObject meta)
            {
                if (meta["version"]?.GetValue<string>() is { } version)
                {
                    httpContext.Response.Headers[HeaderNames.ETag] = version;
                }

                if (status == StatusCodes.Status201Created && meta["location"]?.GetValue<string>() is { } location)
                {
                    httpContext.Response.Headers.Location = location;
                }
            }

            await httpContext.Response.WriteAsync(body.ToJsonString(), httpContext.RequestAborted);
        }
    }

    private static string BaseUrl(HttpContext context) => AccountLinks.Absolute(context, "/scim/v2");

    private static JsonObject ResourceType(string name, string baseUrl) => new()
    {
        ["schemas"] = new JsonArray(ScimSchemaUris.ResourceType),
        ["id"] = name,
        ["name"] = name,
        ["endpoint"] = $"/{name}s",
        ["schema"] = name == "User" ? ScimSchemaUris.User : ScimSchemaUris.Group,
        ["schemaExtensions"] = name == "User"
            ? new JsonArray(new JsonObject { ["schema"] = ScimSchemaUris.EnterpriseUser, ["required"] = false })
            : new JsonArray(),
        ["meta"] = new JsonObject { ["resourceType"] = "ResourceType", ["location"] = $"{baseUrl}/ResourceTypes/{name}" },
    };

    private static JsonObject ServiceProviderConfig(string baseUrl) => new()
    {
        ["schemas"] = new JsonArray(ScimSchemaUris.ServiceProviderConfig),
        ["documentationUri"] = "https://github.com/plinto/identityserver/blob/main/docs/scim.md",
        ["patch"] = new JsonObject { ["supported"] = true },
        ["bulk"] = new JsonObject { ["supported"] = false, ["maxOperations"] = 0, ["maxPayloadSize"] = 0 },
        ["filter"] = new JsonObject { ["supported"] = true, ["maxResults"] = ScimUsers.MaxPageSize },
        ["changePassword"] = new JsonObject { ["supported"] = true },
        ["sort"] = new JsonObject { ["supported"] = true },
        ["etag"] = new JsonObject { ["supported"] = true },
        ["authenticationSchemes"] = new JsonArray(new JsonObject
        {
            ["type"] = "oauthbearertoken",
            ["name"] = "SCIM token",
            ["description"] = "A bearer token created in the organization's SCIM settings.",
            ["primary"] = true,
        }),
        ["meta"] = new JsonObject { ["resourceType"] = "ServiceProviderConfig", ["location"] = $"{baseUrl}/ServiceProviderConfig" },
    };
}
