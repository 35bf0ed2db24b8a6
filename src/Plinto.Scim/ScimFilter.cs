using System.Text.Json.Nodes;

namespace Plinto.Scim;

/// <summary>
/// An attribute path (RFC 7644 §3.10): an optional schema URN, an attribute and an optional sub-attribute, as in
/// <c>userName</c>, <c>name.familyName</c> or
/// <c>urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value</c>. Names compare
/// case-insensitively (RFC 7643 §2.1).
/// </summary>
/// <param name="SchemaUri">The schema URN when the path names one; null for the resource's core schema.</param>
/// <param name="Name">The attribute name as written.</param>
/// <param name="SubAttribute">The sub-attribute name as written, or null.</param>
public sealed record ScimAttributePath(string? SchemaUri, string Name, string? SubAttribute)
{
    /// <summary>True when this path names <paramref name="name"/> (and <paramref name="subAttribute"/>), ignoring case and the schema.</summary>
    public bool Is(string name, string? subAttribute = null) =>
        string.Equals(Name, name, StringComparison.OrdinalIgnoreCase)
        && string.Equals(SubAttribute, subAttribute, StringComparison.OrdinalIgnoreCase);

    /// <summary>The path as SCIM writes it.</summary>
    public override string ToString() =>
        (SchemaUri is null ? string.Empty : SchemaUri + ":") + Name + (SubAttribute is null ? string.Empty : "." + SubAttribute);
}

/// <summary>Comparison operators of RFC 7644 §3.4.2.2 (table 3).</summary>
public enum ScimComparisonOperator
{
    /// <summary><c>eq</c>: equal.</summary>
    Equal,

    /// <summary><c>ne</c>: not equal.</summary>
    NotEqual,

    /// <summary><c>co</c>: contains.</summary>
    Contains,

    /// <summary><c>sw</c>: starts with.</summary>
    StartsWith,

    /// <summary><c>ew</c>: ends with.</summary>
    EndsWith,

    /// <summary><c>gt</c>: greater than.</summary>
    GreaterThan,

    /// <summary><c>ge</c>: greater than or equal.</summary>
    GreaterThanOrEqual,

    /// <summary><c>lt</c>: less than.</summary>
    LessThan,

    /// <summary><c>le</c>: less than or equal.</summary>
    LessThanOrEqual,
}

/// <summary>A parsed SCIM filter (RFC 7644 §3.4.2.2). Hosts translate it to their store's queries.</summary>
public abstract record ScimFilter;

/// <summary><c>attrPath op value</c>.</summary>
/// <param name="Path">The attribute compared.</param>
/// <param name="Operator">The comparison.</param>
/// <param name="Value">A JSON string, number, boolean, or null for the literal <c>null</c>.</param>
public sealed record ScimComparison(ScimAttributePath Path, ScimComparisonOperator Operator, JsonValue? Value) : ScimFilter;

/// <summary><c>attrPath pr</c>: the attribute has a non-empty value.</summary>
/// <param name="Path">The attribute tested.</param>
public sealed record ScimPresent(ScimAttributePath Path) : ScimFilter;

/// <summary><c>left and right</c>.</summary>
/// <param name="Left">The first operand.</param>
/// <param name="Right">The second operand.</param>
public sealed record ScimAnd(ScimFilter Left, ScimFilter Right) : ScimFilter;

/// <summary><c>left or right</c>.</summary>
/// <param name="Left">The first operand.</param>
/// <param name="Right">The second operand.</param>
public sealed record ScimOr(ScimFilter Left, ScimFilter Right) : ScimFilter;

/// <summary><c>not (filter)</c>.</summary>
/// <param name="Inner">The negated filter.</param>
public sealed record ScimNot(ScimFilter Inner) : ScimFilter;

/// <summary>
/// <c>attrPath[filter]</c>: some value of the multi-valued (complex) attribute matches <paramref name="Filter"/>, whose
/// paths name its sub-attributes (<c>emails[type eq "work" and value co "@example.com"]</c>).
/// </summary>
/// <param name="Path">The multi-valued attribute.</param>
/// <param name="Filter">The condition on one of its values.</param>
public sealed record ScimValuePath(ScimAttributePath Path, ScimFilter Filter) : ScimFilter;

/// <summary>
/// The <c>path</c> of a PATCH operation (RFC 7644 §3.5.2): an attribute, optionally a filter selecting values of a
/// multi-valued attribute, and optionally a sub-attribute of those values (<c>emails[type eq "work"].value</c>).
/// </summary>
/// <param name="Attribute">The attribute (with its sub-attribute when there is no filter: <c>name.givenName</c>).</param>
/// <param name="ValueFilter">The filter in brackets, or null.</param>
/// <param name="SubAttribute">The sub-attribute after the brackets, or null.</param>
public sealed record ScimPatchPath(ScimAttributePath Attribute, ScimFilter? ValueFilter, string? SubAttribute)
{
    /// <inheritdoc />
    public override string ToString() => Attribute + (ValueFilter is null ? string.Empty : "[…]") + (SubAttribute is null ? string.Empty : "." + SubAttribute);
}

/// <summary>Bounds on filters, so that a request cannot make the server parse or query without limit.</summary>
/// <param name="MaxLength">Most characters in a filter.</param>
/// <param name="MaxDepth">Most nesting of and/or/not/parentheses/brackets.</param>
/// <param name="MaxComparisons">Most comparisons and presence tests in one filter.</param>
public sealed record ScimFilterLimits(int MaxLength = 2048, int MaxDepth = 12, int MaxComparisons = 32)
{
    /// <summary>The defaults.</summary>
    public static ScimFilterLimits Default { get; } = new();
}
