using System.Text.Json.Nodes;

namespace Plinto.Scim;

/// <summary>Attribute data types (RFC 7643 §2.3).</summary>
public enum ScimAttributeType
{
    /// <summary>A string.</summary>
    String,

    /// <summary>true or false.</summary>
    Boolean,

    /// <summary>A decimal number.</summary>
    Decimal,

    /// <summary>An integer.</summary>
    Integer,

    /// <summary>An xsd:dateTime string.</summary>
    DateTime,

    /// <summary>A URI string.</summary>
    Reference,

    /// <summary>Sub-attributes.</summary>
    Complex,
}

/// <summary>Whether and how a client may change an attribute (RFC 7643 §2.2 "mutability").</summary>
public enum ScimMutability
{
    /// <summary>Clients may change it.</summary>
    ReadWrite,

    /// <summary>Only the service provider sets it.</summary>
    ReadOnly,

    /// <summary>Set once (on creation), then never changed.</summary>
    Immutable,

    /// <summary>Written, never returned.</summary>
    WriteOnly,
}

/// <summary>When an attribute appears in responses (RFC 7643 §2.2 "returned").</summary>
public enum ScimReturned
{
    /// <summary>Unless excluded.</summary>
    Default,

    /// <summary>Always, even when excluded.</summary>
    Always,

    /// <summary>Never.</summary>
    Never,

    /// <summary>Only when asked for with <c>attributes</c>.</summary>
    Request,
}

/// <summary>An attribute definition (RFC 7643 §7).</summary>
/// <param name="Name">The attribute name.</param>
/// <param name="Type">Its data type.</param>
/// <param name="MultiValued">A list of values.</param>
/// <param name="CaseExact">Whether string comparisons are case-sensitive (<c>userName</c> is not; <c>id</c> is).</param>
/// <param name="Mutability">Who may change it.</param>
/// <param name="Returned">When it is returned.</param>
/// <param name="Uniqueness"><c>none</c>, <c>server</c> or <c>global</c>.</param>
/// <param name="Required">Must be present on create and replace.</param>
/// <param name="SubAttributes">For complex attributes.</param>
public sealed record ScimAttribute(
    string Name,
    ScimAttributeType Type = ScimAttributeType.String,
    bool MultiValued = false,
    bool CaseExact = false,
    ScimMutability Mutability = ScimMutability.ReadWrite,
    ScimReturned Returned = ScimReturned.Default,
    string Uniqueness = "none",
    bool Required = false,
    IReadOnlyList<ScimAttribute>? SubAttributes = null)
{
    /// <summary>A sub-attribute by name, ignoring case; null when there is none.</summary>
    public ScimAttribute? Sub(string name) =>
        SubAttributes?.FirstOrDefault(a => string.Equals(a.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>The definition as /Schemas returns it.</summary>
    public JsonObject ToJson()
    {
        var json = new JsonObject
        {
            ["name"] = Name,
            ["type"] = Type switch
            {
                ScimAttributeType.DateTime => "dateTime",
                _ => Type.ToString().ToLowerInvariant(),
            },
            ["multiValued"] = MultiValued,
            ["required"] = Required,
            ["caseExact"] = CaseExact,
            ["mutability"] = Mutability switch
            {
                ScimMutability.ReadOnly => "readOnly",
                ScimMutability.Immutable => "immutable",
                ScimMutability.WriteOnly => "writeOnly",
                _ => "readWrite",
            },
            ["returned"] = Returned.ToString().ToLowerInvariant(),
            ["uniqueness"] = Uniqueness,
        };
        if (SubAttributes is { Count: > 0 })
        {
            json["subAttributes"] = new JsonArray([.. SubAttributes.Select(a => (JsonNode)a.ToJson())]);
        }

        return json;
    }
}

/// <summary>A resource schema or extension (RFC 7643 §7).</summary>
/// <param name="Id">The schema URN.</param>
/// <param name="Name">A human-readable name.</param>
/// <param name="Attributes">Its attributes (without the common <c>id</c>, <c>externalId</c>, <c>meta</c>).</param>
public sealed record ScimSchema(string Id, string Name, IReadOnlyList<ScimAttribute> Attributes)
{
    /// <summary>An attribute by name, ignoring case; null when there is none.</summary>
    public ScimAttribute? Find(string name) =>
        Attributes.FirstOrDefault(a => string.Equals(a.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>The definition as /Schemas returns it.</summary>
    public JsonObject ToJson(string location) => new()
    {
        ["schemas"] = new JsonArray(ScimSchemaUris.Schema),
        ["id"] = Id,
        ["name"] = Name,
        ["attributes"] = new JsonArray([.. Attributes.Select(a => (JsonNode)a.ToJson())]),
        ["meta"] = new JsonObject { ["resourceType"] = "Schema", ["location"] = location },
    };
}

/// <summary>The schemas of RFC 7643 §4 that Plinto serves, and the attributes every resource has (§3.1).</summary>
public static class ScimSchemas
{
    private static readonly ScimAttribute[] MultiValuedString =
    [
        new("value"), new("display"), new("type"), new("primary", ScimAttributeType.Boolean),
    ];

    /// <summary><c>id</c>: issued by the service provider, case-exact, always returned.</summary>
    public static ScimAttribute Id { get; } = new("id", CaseExact: true, Mutability: ScimMutability.ReadOnly, Returned: ScimReturned.Always, Uniqueness: "server");

    /// <summary><c>externalId</c>: the client's own identifier, case-exact.</summary>
    public static ScimAttribute ExternalId { get; } = new("externalId", CaseExact: true);

    /// <summary><c>meta</c>: read-only.</summary>
    public static ScimAttribute Meta { get; } = new("meta", ScimAttributeType.Complex, Mutability: ScimMutability.ReadOnly, SubAttributes:
    [
        new("resourceType", CaseExact: true, Mutability: ScimMutability.ReadOnly),
        new("created", ScimAttributeType.DateTime, Mutability: ScimMutability.ReadOnly),
        new("lastModified", ScimAttributeType.DateTime, Mutability: ScimMutability.ReadOnly),
        new("location", ScimAttributeType.Reference, CaseExact: true, Mutability: ScimMutability.ReadOnly),
        new("version", CaseExact: true, Mutability: ScimMutability.ReadOnly),
    ]);

    /// <summary>The core User schema (RFC 7643 §4.1).</summary>
    public static ScimSchema User { get; } = new(ScimSchemaUris.User, "User",
    [
        new("userName", Required: true, Uniqueness: "server"),
        new("name", ScimAttributeType.Complex, SubAttributes:
        [
            new("formatted"), new("familyName"), new("givenName"), new("middleName"), new("honorificPrefix"), new("honorificSuffix"),
        ]),
        new("displayName"),
        new("nickName"),
        new("profileUrl", ScimAttributeType.Reference),
        new("title"),
        new("userType"),
        new("preferredLanguage"),
        new("locale"),
        new("timezone"),
        new("active", ScimAttributeType.Boolean),
        new("password", Mutability: ScimMutability.WriteOnly, Returned: ScimReturned.Never),
        new("emails", ScimAttributeType.Complex, MultiValued: true, SubAttributes: MultiValuedString),
        new("phoneNumbers", ScimAttributeType.Complex, MultiValued: true, SubAttributes: MultiValuedString),
        new("ims", ScimAttributeType.Complex, MultiValued: true, SubAttributes: MultiValuedString),
        new("photos", ScimAttributeType.Complex, MultiValued: true, SubAttributes: MultiValuedString),
        new("addresses", ScimAttributeType.Complex, MultiValued: true, SubAttributes:
        [
            new("formatted"), new("streetAddress"), new("locality"), new("region"), new("postalCode"), new("country"),
            new("type"), new("primary", ScimAttributeType.Boolean),
        ]),
        new("groups", ScimAttributeType.Complex, MultiValued: true, Mutability: ScimMutability.ReadOnly, SubAttributes:
        [
            new("value", Mutability: ScimMutability.ReadOnly), new("$ref", ScimAttributeType.Reference, Mutability: ScimMutability.ReadOnly),
            new("display", Mutability: ScimMutability.ReadOnly), new("type", Mutability: ScimMutability.ReadOnly),
        ]),
        new("entitlements", ScimAttributeType.Complex, MultiValued: true, SubAttributes: MultiValuedString),
        new("roles", ScimAttributeType.Complex, MultiValued: true, SubAttributes: MultiValuedString),
        new("x509Certificates", ScimAttributeType.Complex, MultiValued: true, SubAttributes: MultiValuedString),
    ]);

    /// <summary>The core Group schema (RFC 7643 §4.2).</summary>
    public static ScimSchema Group { get; } = new(ScimSchemaUris.Group, "Group",
    [
        new("displayName", Required: true),
        new("members", ScimAttributeType.Complex, MultiValued: true, SubAttributes:
        [
            new("value", CaseExact: true, Mutability: ScimMutability.Immutable),
            new("$ref", ScimAttributeType.Reference, Mutability: ScimMutability.Immutable),
            new("display", Mutability: ScimMutability.ReadOnly),
            new("type", Mutability: ScimMutability.Immutable),
        ]),
    ]);

    /// <summary>The enterprise User extension (RFC 7643 §4.3).</summary>
    public static ScimSchema EnterpriseUser { get; } = new(ScimSchemaUris.EnterpriseUser, "EnterpriseUser",
    [
        new("employeeNumber"),
        new("costCenter"),
        new("organization"),
        new("division"),
        new("department"),
        new("manager", ScimAttributeType.Complex, SubAttributes:
        [
            new("value"), new("$ref", ScimAttributeType.Reference), new("displayName", Mutability: ScimMutability.ReadOnly),
        ]),
    ]);
}
