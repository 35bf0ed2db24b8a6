using System.Globalization;
using System.Text.Json.Nodes;

namespace Plinto.Scim;

/// <summary>The <c>scimType</c> values of RFC 7644 §3.12 (table 9).</summary>
public static class ScimErrorType
{
    /// <summary>The filter syntax is invalid, or the filter is not supported (400).</summary>
    public const string InvalidFilter = "invalidFilter";

    /// <summary>The filter yields too many results to process (400).</summary>
    public const string TooMany = "tooMany";

    /// <summary>A value is already in use where it must be unique (409).</summary>
    public const string Uniqueness = "uniqueness";

    /// <summary>The change would modify a read-only or immutable attribute (400).</summary>
    public const string Mutability = "mutability";

    /// <summary>The request body is not valid (400).</summary>
    public const string InvalidSyntax = "invalidSyntax";

    /// <summary>The <c>path</c> of a PATCH operation is invalid (400).</summary>
    public const string InvalidPath = "invalidPath";

    /// <summary>The path's filter matched nothing to change (400).</summary>
    public const string NoTarget = "noTarget";

    /// <summary>A value is missing, of the wrong type or not allowed (400).</summary>
    public const string InvalidValue = "invalidValue";

    /// <summary>The request is not compatible with the protocol version (400).</summary>
    public const string InvalidVersion = "invalidVers";
}

/// <summary>
/// A SCIM error: the HTTP status, an optional <c>scimType</c> and a detail safe to show to the client
/// (RFC 7644 §3.12). Thrown by the parsers and by <see cref="ScimPatcher"/>; hosts turn it into <see cref="ToJson()"/>.
/// </summary>
public sealed class ScimException : Exception
{
    /// <summary>Creates an error.</summary>
    public ScimException(int status, string? scimType, string detail)
        : base(detail)
    {
        Status = status;
        ScimType = scimType;
    }

    /// <summary>The HTTP status code.</summary>
    public int Status { get; }

    /// <summary>One of <see cref="ScimErrorType"/>, or null.</summary>
    public string? ScimType { get; }

    /// <summary>400 with a <c>scimType</c>.</summary>
    public static ScimException BadRequest(string scimType, string detail) => new(400, scimType, detail);

    /// <summary>The error response body (RFC 7644 §3.12): <c>status</c> is a string, as the RFC's examples show.</summary>
    public JsonObject ToJson() => ToJson(Status, ScimType, Message);

    /// <summary>An error response body for any status.</summary>
    public static JsonObject ToJson(int status, string? scimType, string detail)
    {
        var body = new JsonObject
        {
            ["schemas"] = new JsonArray(ScimSchemaUris.Error),
            ["status"] = status.ToString(CultureInfo.InvariantCulture),
        };
        if (scimType is not null)
        {
            body["scimType"] = scimType;
        }

        body["detail"] = detail;
        return body;
    }
}

/// <summary>Schema and message URNs of RFC 7643 / RFC 7644.</summary>
public static class ScimSchemaUris
{
    /// <summary>The core User schema (RFC 7643 §4.1).</summary>
    public const string User = "urn:ietf:params:scim:schemas:core:2.0:User";

    /// <summary>The core Group schema (RFC 7643 §4.2).</summary>
    public const string Group = "urn:ietf:params:scim:schemas:core:2.0:Group";

    /// <summary>The enterprise User extension (RFC 7643 §4.3).</summary>
    public const string EnterpriseUser = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

    /// <summary>List responses (RFC 7644 §3.4.2).</summary>
    public const string ListResponse = "urn:ietf:params:scim:api:messages:2.0:ListResponse";

    /// <summary>PATCH requests (RFC 7644 §3.5.2).</summary>
    public const string PatchOp = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

    /// <summary>Error responses (RFC 7644 §3.12).</summary>
    public const string Error = "urn:ietf:params:scim:api:messages:2.0:Error";

    /// <summary>Service provider configuration (RFC 7643 §5).</summary>
    public const string ServiceProviderConfig = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";

    /// <summary>Resource types (RFC 7643 §6).</summary>
    public const string ResourceType = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";

    /// <summary>Schema definitions (RFC 7643 §7).</summary>
    public const string Schema = "urn:ietf:params:scim:schemas:core:2.0:Schema";
}
