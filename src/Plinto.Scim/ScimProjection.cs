using System.Text.Json.Nodes;

namespace Plinto.Scim;

/// <summary>
/// The <c>attributes</c> and <c>excludedAttributes</c> parameters (RFC 7644 §3.4.2.5, §3.9): which attributes of
/// a resource a response carries. <c>id</c> and <c>schemas</c> are always returned; returned:never attributes
/// (the password) never are.
/// </summary>
public static class ScimProjection
{
    /// <summary>Removes from <paramref name="resource"/> what the parameters leave out (in place).</summary>
    /// <param name="resource">The full resource: core attributes at the top, extensions under their URN.</param>
    /// <param name="attributes">Comma-separated attribute paths to return, or null.</param>
    /// <param name="excludedAttributes">Comma-separated attribute paths to leave out, or null.</param>
    /// <param name="core">The resource's schema.</param>
    /// <param name="extensions">Its extensions.</param>
    /// <exception cref="ScimException">400 <c>invalidValue</c> for a malformed path.</exception>
    public static void Apply(JsonObject resource, string? attributes, string? excludedAttributes, ScimSchema core, params ScimSchema[] extensions)
    {
        ArgumentNullException.ThrowIfNull(resource);
        ArgumentNullException.ThrowIfNull(core);
        var included = ParseList(attributes);
        var excluded = ParseList(excludedAttributes);
        foreach (var (key, value) in resource.ToList())
        {
            if (key is "schemas" or "id")
            {
                continue;
            }

            var extension = extensions.FirstOrDefault(e => e.Id.Equals(key, StringComparison.OrdinalIgnoreCase));
            if (extension is not null && value is JsonObject extensionValues)
            {
                foreach (var (name, _) in extensionValues.ToList())
                {
                    if (!Keep(extension.Id, name, null, included, excluded))
                    {
                        extensionValues.Remove(name);
                    }
                }

                if (extensionValues.Count == 0)
                {
                    resource.Remove(key);
                }

                continue;
            }

            if (core.Find(key) is { Returned: ScimReturned.Never })
            {
                resource.Remove(key);
                continue;
            }

            if (!Keep(core.Id, key, null, included, excluded))
            {
                // Sub-attributes may still be asked for one by one (attributes=name.givenName).
                if (value is JsonObject complex && included.Any(p => Same(p, core.Id, key) && p.SubAttribute is not null))
                {
                    foreach (var (name, _) in complex.ToList())
                    {
                        if (!included.Any(p => Same(p, core.Id, key) && string.Equals(p.SubAttribute, name, StringComparison.OrdinalIgnoreCase)))
                        {
                            complex.Remove(name);
                        }
                    }

                    continue;
                }

                resource.Remove(key);
            }
            else if (value is JsonObject complex)
            {
                foreach (var (name, _) in complex.ToList())
                {
                    if (excluded.Any(p => Same(p, core.Id, key) && string.Equals(p.SubAttribute, name, StringComparison.OrdinalIgnoreCase)))
                    {
                        complex.Remove(name);
                    }
                }
            }
        }
    }

    private static bool Keep(string schema, string name, string? sub, List<ScimAttributePath> included, List<ScimAttributePath> excluded)
    {
        if (included.Count > 0)
        {
            return included.Any(p => Same(p, schema, name) && (p.SubAttribute is null || sub is not null));
        }

        return !excluded.Any(p => Same(p, schema, name) && p.SubAttribute is null);
    }

    private static bool Same(ScimAttributePath path, string schema, string name) =>
        string.Equals(path.Name, name, StringComparison.OrdinalIgnoreCase)
        && (path.SchemaUri is null || string.Equals(path.SchemaUri, schema, StringComparison.OrdinalIgnoreCase));

    private static List<ScimAttributePath> ParseList(string? list)
    {
        var paths = new List<ScimAttributePath>();
        foreach (var item in (list ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            try
            {
                var path = ScimFilterParser.ParsePath(item);
                if (path.ValueFilter is not null)
                {
                    throw ScimException.BadRequest(ScimErrorType.InvalidValue, $"'{item}' is not an attribute path.");
                }

                paths.Add(path.Attribute);
            }
            catch (ScimException error) when (error.ScimType == ScimErrorType.InvalidPath)
            {
                throw ScimException.BadRequest(ScimErrorType.InvalidValue, $"'{item}' is not an attribute path.");
            }
        }

        return paths;
    }
}
