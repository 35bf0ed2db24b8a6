using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Plinto.Scim;

/// <summary>
/// Evaluates a value filter (the part in brackets of <c>emails[type eq "work"]</c>) against one value of a
/// multi-valued complex attribute, in memory. Case rules come from the sub-attribute definitions (RFC 7643 §2.2
/// caseExact); booleans sent as strings compare as booleans. Queries over stored resources are compiled by the
/// host to its own store instead.
/// </summary>
public static class ScimFilterEvaluator
{
    /// <summary>True when <paramref name="element"/> (a value of <paramref name="attribute"/>) satisfies <paramref name="filter"/>.</summary>
    /// <exception cref="ScimException">400 <c>invalidFilter</c> when the filter names something <paramref name="attribute"/> does not have.</exception>
    public static bool Matches(JsonObject element, ScimFilter filter, ScimAttribute attribute)
    {
        ArgumentNullException.ThrowIfNull(element);
        ArgumentNullException.ThrowIfNull(attribute);
        return filter switch
        {
            ScimAnd both => Matches(element, both.Left, attribute) && Matches(element, both.Right, attribute),
            ScimOr either => Matches(element, either.Left, attribute) || Matches(element, either.Right, attribute),
            ScimNot negated => !Matches(element, negated.Inner, attribute),
            ScimPresent present => Read(element, present.Path, attribute).Value is { } value
                && !(value.GetValueKind() == JsonValueKind.String && value.GetValue<string>().Length == 0),
            ScimComparison comparison => Compare(element, comparison, attribute),
            _ => throw ScimException.BadRequest(ScimErrorType.InvalidFilter, "A value filter cannot contain another value filter."),
        };
    }

    private static bool Compare(JsonObject element, ScimComparison comparison, ScimAttribute attribute)
    {
        var (definition, actual) = Read(element, comparison.Path, attribute);
        var expected = comparison.Value;
        if (expected is null)
        {
            return comparison.Operator switch
            {
                ScimComparisonOperator.Equal => actual is null,
                ScimComparisonOperator.NotEqual => actual is not null,
                _ => false,
            };
        }

        if (actual is null)
        {
            return comparison.Operator == ScimComparisonOperator.NotEqual;
        }

        if (definition.Type == ScimAttributeType.Boolean)
        {
            var left = AsBoolean(actual);
            var right = AsBoolean(expected);
            return comparison.Operator switch
            {
                ScimComparisonOperator.Equal => left is not null && left == right,
                ScimComparisonOperator.NotEqual => left != right,
                _ => false,
            };
        }

        if (actual.GetValueKind() == JsonValueKind.Number && expected.GetValueKind() == JsonValueKind.Number)
        {
            var order = actual.GetValue<decimal>().CompareTo(expected.GetValue<decimal>());
            return Ordered(comparison.Operator, order);
        }

        if (actual.GetValueKind() != JsonValueKind.String || expected.GetValueKind() != JsonValueKind.String)
        {
            return comparison.Operator == ScimComparisonOperator.NotEqual;
        }

        var text = actual.GetValue<string>();
        var wanted = expected.GetValue<string>();
        var culture = definition.CaseExact ? StringComparison.Ordinal : StringComparison.OrdinalIgnoreCase;
        return comparison.Operator switch
        {
            ScimComparisonOperator.Equal => string.Equals(text, wanted, culture),
            ScimComparisonOperator.NotEqual => !string.Equals(text, wanted, culture),
            ScimComparisonOperator.Contains => text.Contains(wanted, culture),
            ScimComparisonOperator.StartsWith => text.StartsWith(wanted, culture),
            ScimComparisonOperator.EndsWith => text.EndsWith(wanted, culture),
            _ when definition.Type == ScimAttributeType.DateTime
                && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var at)
                && DateTimeOffset.TryParse(wanted, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var then) =>
                Ordered(comparison.Operator, at.CompareTo(then)),
            _ => Ordered(comparison.Operator, string.Compare(text, wanted, culture)),
        };
    }

    private static bool Ordered(ScimComparisonOperator op, int order) => op switch
    {
        ScimComparisonOperator.Equal => order == 0,
        ScimComparisonOperator.NotEqual => order != 0,
        ScimComparisonOperator.GreaterThan => order > 0,
        ScimComparisonOperator.GreaterThanOrEqual => order >= 0,
        ScimComparisonOperator.LessThan => order < 0,
        ScimComparisonOperator.LessThanOrEqual => order <= 0,
        _ => false,
    };

    private static (ScimAttribute Definition, JsonNode? Value) Read(JsonObject element, ScimAttributePath path, ScimAttribute attribute)
    {
        if (path.SubAttribute is not null || path.SchemaUri is not null)
        {
            throw ScimException.BadRequest(ScimErrorType.InvalidFilter, $"Inside {attribute.Name}[…], name its sub-attributes only ('{path}').");
        }

        var definition = attribute.Sub(path.Name)
            ?? throw ScimException.BadRequest(ScimErrorType.InvalidFilter, $"{attribute.Name} has no sub-attribute '{path.Name}'.");
        return (definition, ScimPatchRequest.Property(element, definition.Name));
    }

    private static bool? AsBoolean(JsonNode node) => node.GetValueKind() switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.String when bool.TryParse(node.GetValue<string>(), out var flag) => flag,
        _ => null,
    };
}
