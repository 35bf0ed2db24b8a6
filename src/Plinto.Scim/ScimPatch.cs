using System.Text.Json;
using System.Text.Json.Nodes;

namespace Plinto.Scim;

/// <summary>PATCH operation types (RFC 7644 §3.5.2).</summary>
public enum ScimPatchOperationType
{
    /// <summary><c>add</c>.</summary>
    Add,

    /// <summary><c>replace</c>.</summary>
    Replace,

    /// <summary><c>remove</c>.</summary>
    Remove,
}

/// <summary>One parsed PATCH operation.</summary>
/// <param name="Op">The operation.</param>
/// <param name="Path">The parsed path, or null (add and replace of a whole set of attributes).</param>
/// <param name="Value">The value as sent (coerced later against the schema), or null.</param>
public sealed record ScimPatchOperation(ScimPatchOperationType Op, ScimPatchPath? Path, JsonNode? Value);

/// <summary>
/// Reads a PATCH request body (RFC 7644 §3.5.2) in the dialects real clients send: <c>op</c> in any case
/// (Microsoft Entra sends <c>Add</c>, <c>Replace</c>, <c>Remove</c>), <c>Operations</c> in any case.
/// </summary>
public static class ScimPatchRequest
{
    /// <summary>Most operations in one request.</summary>
    public const int MaxOperations = 1000;

    /// <summary>Parses the body.</summary>
    /// <exception cref="ScimException">400 <c>invalidSyntax</c>, <c>invalidPath</c> or <c>invalidValue</c>.</exception>
    public static IReadOnlyList<ScimPatchOperation> Parse(JsonNode? body, ScimFilterLimits? limits = null)
    {
        if (body is not JsonObject request)
        {
            throw ScimException.BadRequest(ScimErrorType.InvalidSyntax, "The body must be a JSON object.");
        }

        if (Property(request, "schemas") is not JsonArray schemas
            || !schemas.Any(s => s?.GetValueKind() == JsonValueKind.String && s.GetValue<string>() == ScimSchemaUris.PatchOp))
        {
            throw ScimException.BadRequest(ScimErrorType.InvalidSyntax, $"schemas must contain {ScimSchemaUris.PatchOp}.");
        }

        if (Property(request, "Operations") is not JsonArray operations || operations.Count == 0)
        {
            throw ScimException.BadRequest(ScimErrorType.InvalidSyntax, "Operations must be a non-empty array.");
        }

        if (operations.Count > MaxOperations)
        {
            throw ScimException.BadRequest(ScimErrorType.InvalidSyntax, $"At most {MaxOperations} operations per request.");
        }

        var parsed = new List<ScimPatchOperation>(operations.Count);
        foreach (var node in operations)
        {
            if (node is not JsonObject operation)
            {
                throw ScimException.BadRequest(ScimErrorType.InvalidSyntax, "Each operation must be an object.");
            }

            var op = (Property(operation, "op") is JsonValue opValue && opValue.GetValueKind() == JsonValueKind.String
                    ? opValue.GetValue<string>()
                    : null)?.ToLowerInvariant() switch
            {
                "add" => ScimPatchOperationType.Add,
                "replace" => ScimPatchOperationType.Replace,
                "remove" => ScimPatchOperationType.Remove,
                _ => throw ScimException.BadRequest(ScimErrorType.InvalidSyntax, "op must be add, replace or remove."),
            };

            ScimPatchPath? path = null;
            if (Property(operation, "path") is { } pathNode)
            {
                if (pathNode.GetValueKind() != JsonValueKind.String)
                {
                    throw ScimException.BadRequest(ScimErrorType.InvalidPath, "path must be a string.");
                }

                path = ScimFilterParser.ParsePath(pathNode.GetValue<string>(), limits);
            }

            var value = Property(operation, "value");
            if (op == ScimPatchOperationType.Remove && path is null)
            {
                // RFC 7644 §3.5.2.2: remove needs a target.
                throw ScimException.BadRequest(ScimErrorType.NoTarget, "remove needs a path.");
            }

            if (op != ScimPatchOperationType.Remove && value is null)
            {
                throw ScimException.BadRequest(ScimErrorType.InvalidValue, $"{op.ToString().ToLowerInvariant()} needs a value.");
            }

            if (op != ScimPatchOperationType.Remove && path is null && value is not JsonObject)
            {
                throw ScimException.BadRequest(ScimErrorType.InvalidValue, "Without a path, value must be an object of attributes.");
            }

            parsed.Add(new ScimPatchOperation(op, path, value?.DeepClone()));
        }

        return parsed;
    }

    /// <summary>
    /// A property by name, ignoring case: attribute names are case-insensitive (RFC 7643 §2.1), and clients differ
    /// (<c>Operations</c>, <c>operations</c>).
    /// </summary>
    /// <param name="json">The object.</param>
    /// <param name="name">The property name.</param>
    public static JsonNode? Property(JsonObject json, string name) =>
        json.FirstOrDefault(p => string.Equals(p.Key, name, StringComparison.OrdinalIgnoreCase)).Value;
}
