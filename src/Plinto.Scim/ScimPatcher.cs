using System.Text.Json;
using System.Text.Json.Nodes;

namespace Plinto.Scim;

/// <summary>
/// Applies PATCH operations (RFC 7644 §3.5.2) to a resource in its JSON form: core attributes at the top level,
/// extension attributes under their schema URN. Follows the RFC, plus what Microsoft Entra and Okta send:
/// booleans as strings (<c>"False"</c>), dotted and URN-qualified keys in a path-less replace
/// (<c>{"name.givenName": "Ada"}</c>), removal of multi-valued entries by a value array
/// (<c>{"op":"remove","path":"members","value":[{"value":"id"}]}</c>), and add/replace through an equality filter
/// that matches nothing (<c>emails[type eq "work"].value</c>), which creates the entry.
/// Read-only attributes cannot be changed (<c>mutability</c>); unknown attributes are refused (<c>invalidPath</c>).
/// </summary>
public sealed class ScimPatcher
{
    private readonly ScimSchema core;
    private readonly IReadOnlyList<ScimSchema> extensions;

    /// <summary>A patcher for resources of the <paramref name="core"/> schema with the given extensions.</summary>
    public ScimPatcher(ScimSchema core, params ScimSchema[] extensions)
    {
        ArgumentNullException.ThrowIfNull(core);
        this.core = core;
        this.extensions = extensions;
    }

    /// <summary>Applies the operations in order; the resource is changed in place.</summary>
    /// <exception cref="ScimException">400 with <c>invalidPath</c>, <c>invalidValue</c>, <c>mutability</c> or <c>noTarget</c>.</exception>
    public void Apply(JsonObject resource, IEnumerable<ScimPatchOperation> operations)
    {
        ArgumentNullException.ThrowIfNull(resource);
        ArgumentNullException.ThrowIfNull(operations);
        foreach (var operation in operations)
        {
            if (operation.Path is null)
            {
                ApplyWithoutPath(resource, operation);
            }
            else
            {
                Apply(resource, operation.Op, operation.Path, operation.Value);
            }
        }
    }

    private void ApplyWithoutPath(JsonObject resource, ScimPatchOperation operation)
    {
        foreach (var (key, value) in (JsonObject)operation.Value!)
        {
            if (key.Equals("schemas", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            if (extensions.FirstOrDefault(e => e.Id.Equals(key, StringComparison.OrdinalIgnoreCase)) is { } extension)
            {
                if (value is not JsonObject attributes)
                {
                    throw ScimException.BadRequest(ScimErrorType.InvalidValue, $"{extension.Id} must be an object.");
                }

                foreach (var (name, inner) in attributes)
                {
                    Apply(resource, operation.Op, ScimFilterParser.ParsePath(extension.Id + ":" + name), inner);
                }

                continue;
            }

            // Microsoft Entra: "name.givenName" and "urn:…:User:employeeNumber" as keys.
            Apply(resource, operation.Op, ScimFilterParser.ParsePath(key), value);
        }
    }

    private void Apply(JsonObject resource, ScimPatchOperationType op, ScimPatchPath path, JsonNode? value)
    {
        var (schema, attribute) = Resolve(path.Attribute);
        var container = Container(resource, schema, create: op != ScimPatchOperationType.Remove);
        if (container is null)
        {
            return; // removing from an extension that holds nothing
        }

        var sub = path.Attribute.SubAttribute ?? path.SubAttribute;
        var subDefinition = sub is null ? null : attribute.Sub(sub)
            ?? throw ScimException.BadRequest(ScimErrorType.InvalidPath, $"{attribute.Name} has no sub-attribute '{sub}'.");
        CheckMutable(attribute, subDefinition, path);

        if (path.ValueFilter is not null)
        {
            ApplyFiltered(container, op, attribute, path, subDefinition, value);
            return;
        }

        var key = Key(container, attribute.Name);
        if (op == ScimPatchOperationType.Remove)
        {
            Remove(container, key, attribute, subDefinition, value);
            return;
        }

        if (subDefinition is not null)
        {
            // name.givenName, or a sub-attribute of every value of a multi-valued attribute (rare; RFC allows it).
            if (attribute.MultiValued)
            {
                foreach (var element in (container[key] as JsonArray ?? []).OfType<JsonObject>())
                {
                    element[Key(element, subDefinition.Name)] = Coerce(subDefinition, value);
                }

                return;
            }

            if (container[key] is not JsonObject complex)
            {
                container[key] = complex = new JsonObject();
            }

            complex[Key(complex, subDefinition.Name)] = Coerce(subDefinition, value);
            return;
        }

        if (attribute.MultiValued)
        {
            var values = value is JsonArray array ? array.Select(v => Coerce(attribute, v, element: true)).ToList() : [Coerce(attribute, value, element: true)];
            var current = op == ScimPatchOperationType.Replace || container[key] is not JsonArray existing ? new JsonArray() : existing;
            foreach (var item in values)
            {
                if (!current.Any(c => SameValue(c, item)))
                {
                    current.Add(item?.DeepClone());
                }
            }

            OnePrimary(current);
            container[key] = current;
            return;
        }

        if (attribute.Type == ScimAttributeType.Complex && value is JsonObject patch && container[key] is JsonObject target)
        {
            // RFC 7644 §3.5.2.1/§3.5.2.3: sub-attributes given replace those values; the others stay.
            foreach (var (name, inner) in patch)
            {
                var definition = attribute.Sub(name) ?? throw ScimException.BadRequest(ScimErrorType.InvalidPath, $"{attribute.Name} has no sub-attribute '{name}'.");
                CheckMutable(attribute, definition, path);
                target[Key(target, definition.Name)] = Coerce(definition, inner);
            }

            return;
        }

        container[key] = Coerce(attribute, value);
    }

    private void ApplyFiltered(JsonObject container, ScimPatchOperationType op, ScimAttribute attribute, ScimPatchPath path, ScimAttribute? sub, JsonNode? value)
    {
        if (!attribute.MultiValued)
        {
            throw ScimException.BadRequest(ScimErrorType.InvalidPath, $"{attribute.Name} is not multi-valued; a filter cannot select its values.");
        }

        var key = Key(container, attribute.Name);
        var values = container[key] as JsonArray ?? [];
        var matched = values.OfType<JsonObject>().Where(v => ScimFilterEvaluator.Matches(v, path.ValueFilter!, attribute)).ToList();
        if (op == ScimPatchOperationType.Remove)
        {
            foreach (var element in matched)
            {
                if (sub is null)
                {
                    values.Remove(element);
                }
                else
                {
                    element.Remove(Key(element, sub.Name));
                }
            }

            if (values.Count == 0)
            {
                container.Remove(key);
            }

            return;
        }

        if (matched.Count == 0)
        {
            // Microsoft Entra adds "the work phone number" this way: create the entry the equality filter describes.
            if (EqualityValues(path.ValueFilter!) is not { } described)
            {
                throw ScimException.BadRequest(ScimErrorType.NoTarget, $"No value of {attribute.Name} matches the path's filter.");
            }

            var created = new JsonObject();
            foreach (var (name, filterValue) in described)
            {
                var definition = attribute.Sub(name) ?? throw ScimException.BadRequest(ScimErrorType.InvalidPath, $"{attribute.Name} has no sub-attribute '{name}'.");
                created[definition.Name] = filterValue?.DeepClone();
            }

            values.Add(created);
            container[key] = values;
            matched.Add(created);
        }

        foreach (var element in matched)
        {
            if (sub is not null)
            {
                element[Key(element, sub.Name)] = Coerce(sub, value);
            }
            else if (Coerce(attribute, value, element: true) is JsonObject replacement)
            {
                foreach (var (name, inner) in replacement)
                {
                    element[Key(element, name)] = inner?.DeepClone();
                }
            }
            else
            {
                throw ScimException.BadRequest(ScimErrorType.InvalidValue, $"A value of {attribute.Name} must be an object.");
            }
        }

        OnePrimary(values);
    }

    private static void Remove(JsonObject container, string key, ScimAttribute attribute, ScimAttribute? sub, JsonNode? value)
    {
        if (attribute.Required && sub is null)
        {
            throw ScimException.BadRequest(ScimErrorType.Mutability, $"{attribute.Name} is required and cannot be removed.");
        }

        if (sub is not null)
        {
            if (container[key] is JsonObject complex)
            {
                complex.Remove(Key(complex, sub.Name));
            }
            else if (container[key] is JsonArray list)
            {
                foreach (var element in list.OfType<JsonObject>())
                {
                    element.Remove(Key(element, sub.Name));
                }
            }

            return;
        }

        if (attribute.MultiValued && value is not null && container[key] is JsonArray current)
        {
            // Microsoft Entra: {"op":"remove","path":"members","value":[{"value":"id"}]} removes those values only.
            var removed = value is JsonArray array ? array.ToList() : [value];
            foreach (var element in current.Where(c => removed.Any(r => SameValue(c, r))).ToList())
            {
                current.Remove(element);
            }

            if (current.Count == 0)
            {
                container.Remove(key);
            }

            return;
        }

        container.Remove(key);
    }

    private (ScimSchema Schema, ScimAttribute Attribute) Resolve(ScimAttributePath path)
    {
        var schema = path.SchemaUri is null
            ? core
            : path.SchemaUri.Equals(core.Id, StringComparison.OrdinalIgnoreCase)
                ? core
                : extensions.FirstOrDefault(e => e.Id.Equals(path.SchemaUri, StringComparison.OrdinalIgnoreCase))
                    ?? throw ScimException.BadRequest(ScimErrorType.InvalidPath, $"Unknown schema {path.SchemaUri}.");
        if (schema == core && path.SchemaUri is null)
        {
            if (path.Is(ScimSchemas.Id.Name) || path.Name.Equals(ScimSchemas.Meta.Name, StringComparison.OrdinalIgnoreCase))
            {
                throw ScimException.BadRequest(ScimErrorType.Mutability, $"{path.Name} is read-only.");
            }

            if (path.Name.Equals(ScimSchemas.ExternalId.Name, StringComparison.OrdinalIgnoreCase))
            {
                return (schema, ScimSchemas.ExternalId);
            }
        }

        var attribute = schema.Find(path.Name) ?? throw ScimException.BadRequest(ScimErrorType.InvalidPath, $"{path} is not an attribute of {schema.Name}.");
        return (schema, attribute);
    }

    private JsonObject? Container(JsonObject resource, ScimSchema schema, bool create)
    {
        if (schema == core)
        {
            return resource;
        }

        var key = Key(resource, schema.Id);
        if (resource[key] is JsonObject extension)
        {
            return extension;
        }

        if (!create)
        {
            return null;
        }

        extension = new JsonObject();
        resource[key] = extension;
        if (ScimPatchRequest.Property(resource, "schemas") is JsonArray schemas
            && !schemas.Any(s => s?.GetValue<string>().Equals(schema.Id, StringComparison.OrdinalIgnoreCase) == true))
        {
            schemas.Add(schema.Id);
        }

        return extension;
    }

    private static void CheckMutable(ScimAttribute attribute, ScimAttribute? sub, ScimPatchPath path)
    {
        var mutability = attribute.Mutability == ScimMutability.ReadWrite && sub is not null ? sub.Mutability : attribute.Mutability;
        if (mutability is ScimMutability.ReadOnly)
        {
            throw ScimException.BadRequest(ScimErrorType.Mutability, $"{path} is read-only.");
        }
    }

    /// <summary>
    /// The value as the schema types it. Booleans may come as strings ("True", "false": Microsoft Entra); anything else
    /// of the wrong type is an invalidValue.
    /// </summary>
    private static JsonNode? Coerce(ScimAttribute attribute, JsonNode? value, bool element = false)
    {
        if (value is null)
        {
            return null;
        }

        if (attribute.MultiValued && !element)
        {
            return value is JsonArray array
                ? new JsonArray([.. array.Select(v => Coerce(attribute, v, element: true))])
                : new JsonArray(Coerce(attribute, value, element: true));
        }

        switch (attribute.Type)
        {
            case ScimAttributeType.Complex:
                if (value.GetValueKind() == JsonValueKind.String && attribute.Sub("value") is not null)
                {
                    // Microsoft Entra sends the enterprise manager as a bare id: {"path": "…:manager", "value": "26118915-…"}.
                    return new JsonObject { ["value"] = value.DeepClone() };
                }

                if (value is not JsonObject complex)
                {
                    throw ScimException.BadRequest(ScimErrorType.InvalidValue, $"{attribute.Name} must be an object.");
                }

                var typed = new JsonObject();
                foreach (var (name, inner) in complex)
                {
                    var definition = attribute.Sub(name) ?? throw ScimException.BadRequest(ScimErrorType.InvalidValue, $"{attribute.Name} has no sub-attribute '{name}'.");
                    typed[definition.Name] = Coerce(definition, inner);
                }

                return typed;
            case ScimAttributeType.Boolean:
                return value.GetValueKind() switch
                {
                    JsonValueKind.True or JsonValueKind.False => value.DeepClone(),
                    JsonValueKind.String when bool.TryParse(value.GetValue<string>(), out var flag) => JsonValue.Create(flag),
                    _ => throw ScimException.BadRequest(ScimErrorType.InvalidValue, $"{attribute.Name} must be true or false."),
                };
            case ScimAttributeType.Integer or ScimAttributeType.Decimal:
                return value.GetValueKind() == JsonValueKind.Number
                    ? value.DeepClone()
                    : throw ScimException.BadRequest(ScimErrorType.InvalidValue, $"{attribute.Name} must be a number.");
            default:
                return value.GetValueKind() == JsonValueKind.String
                    ? value.DeepClone()
                    : throw ScimException.BadRequest(ScimErrorType.InvalidValue, $"{attribute.Name} must be a string.");
        }
    }

    /// <summary>Two values of a multi-valued attribute are the same value when their <c>value</c> is (or, without one, when they are equal).</summary>
    private static bool SameValue(JsonNode? left, JsonNode? right)
    {
        if (left is JsonObject a && right is JsonObject b
            && ScimPatchRequest.Property(a, "value") is { } av && ScimPatchRequest.Property(b, "value") is { } bv)
        {
            return JsonNode.DeepEquals(av, bv);
        }

        return JsonNode.DeepEquals(left, right);
    }

    /// <summary>RFC 7643 §2.4: at most one value has "primary": true — the last one set wins.</summary>
    private static void OnePrimary(JsonArray values)
    {
        var primaries = values.OfType<JsonObject>().Where(v => ScimPatchRequest.Property(v, "primary")?.GetValueKind() == JsonValueKind.True).ToList();
        foreach (var earlier in primaries.SkipLast(1))
        {
            earlier[Key(earlier, "primary")] = false;
        }
    }

    /// <summary>The sub-attribute values an equality-only filter describes (<c>type eq "work"</c>); null for anything else.</summary>
    private static List<(string Name, JsonValue? Value)>? EqualityValues(ScimFilter filter) => filter switch
    {
        ScimComparison { Operator: ScimComparisonOperator.Equal, Path.SubAttribute: null } c => [(c.Path.Name, c.Value)],
        ScimAnd both when EqualityValues(both.Left) is { } left && EqualityValues(both.Right) is { } right => [.. left, .. right],
        _ => null,
    };

    /// <summary>The existing key for <paramref name="name"/>, ignoring case (attribute names are case-insensitive), or the name itself.</summary>
    private static string Key(JsonObject json, string name) =>
        json.FirstOrDefault(p => string.Equals(p.Key, name, StringComparison.OrdinalIgnoreCase)).Key ?? name;
}
