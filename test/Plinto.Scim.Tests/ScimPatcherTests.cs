using System.Text.Json.Nodes;

namespace Plinto.Scim.Tests;

/// <summary>PATCH (RFC 7644 §3.5.2): the RFC's examples, Microsoft Entra's and Okta's dialects, and the errors.</summary>
internal sealed class ScimPatcherTests
{
    private static readonly ScimPatcher Users = new(ScimSchemas.User, ScimSchemas.EnterpriseUser);
    private static readonly ScimPatcher Groups = new(ScimSchemas.Group);

    private static JsonObject User() => JsonNode.Parse("""
        {
          "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
          "id": "2819c223",
          "userName": "bjensen@example.com",
          "name": { "givenName": "Barbara", "familyName": "Jensen" },
          "active": true,
          "emails": [
            { "value": "bjensen@example.com", "type": "work", "primary": true },
            { "value": "babs@jensen.org", "type": "home" }
          ]
        }
        """)!.AsObject();

    private static JsonObject Group() => JsonNode.Parse("""
        {
          "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
          "id": "e9e30dba",
          "displayName": "Tour Guides",
          "members": [ { "value": "2819c223", "display": "Babs Jensen" }, { "value": "902c246b", "display": "Mandy Pepperidge" } ]
        }
        """)!.AsObject();

    private static JsonObject Apply(ScimPatcher patcher, JsonObject resource, string operations)
    {
        var body = JsonNode.Parse($$"""{ "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": {{operations}} }""");
        patcher.Apply(resource, ScimPatchRequest.Parse(body));
        return resource;
    }

    private static IEnumerable<string?> Values(JsonObject resource, string attribute) =>
        (resource[attribute] as JsonArray ?? []).Select(v => v!["value"]?.GetValue<string>());

    // ------------------------------------------------------------------ RFC 7644 §3.5.2 examples

    [Test]
    public void Add_a_member_to_a_group()
    {
        var group = Apply(Groups, Group(), """[{ "op": "add", "path": "members", "value": [ { "display": "Babs Jensen", "value": "2819c223" }, { "value": "a1b2" } ] }]""");
        Assert.That(Values(group, "members"), Is.EqualTo(new[] { "2819c223", "902c246b", "a1b2" }), "an existing member is not added twice");
    }

    [Test]
    public void Add_without_a_path_sets_each_attribute_and_adds_to_multi_valued_ones()
    {
        var user = Apply(Users, User(), """
            [{ "op": "add", "value": { "emails": [ { "value": "babs@jensen.org", "type": "home" }, { "value": "b@work.example", "type": "other" } ], "nickName": "Babs" } }]
            """);
        Assert.That(user["nickName"]!.GetValue<string>(), Is.EqualTo("Babs"));
        Assert.That(Values(user, "emails"), Is.EqualTo(new[] { "bjensen@example.com", "babs@jensen.org", "b@work.example" }));
    }

    [Test]
    public void Remove_one_member_by_filter_and_then_all_members()
    {
        var group = Apply(Groups, Group(), """[{ "op": "remove", "path": "members[value eq \"2819c223\"]" }]""");
        Assert.That(Values(group, "members"), Is.EqualTo(new[] { "902c246b" }));
        Apply(Groups, group, """[{ "op": "remove", "path": "members" }]""");
        Assert.That(group.ContainsKey("members"), Is.False);
    }

    [Test]
    public void Replace_all_members()
    {
        var group = Apply(Groups, Group(), """[{ "op": "replace", "path": "members", "value": [ { "value": "9a8b" } ] }]""");
        Assert.That(Values(group, "members"), Is.EqualTo(new[] { "9a8b" }));
    }

    [Test]
    public void Replace_a_sub_attribute_of_the_values_a_filter_selects()
    {
        var user = Apply(Users, User(), """[{ "op": "replace", "path": "emails[type eq \"work\"].value", "value": "barbara@example.com" }]""");
        Assert.That(Values(user, "emails"), Is.EqualTo(new[] { "barbara@example.com", "babs@jensen.org" }));
    }

    [Test]
    public void Replace_a_complex_attribute_merges_its_sub_attributes()
    {
        var user = Apply(Users, User(), """[{ "op": "replace", "path": "name", "value": { "familyName": "Jensen-Smith" } }]""");
        Assert.Multiple(() =>
        {
            Assert.That(user["name"]!["familyName"]!.GetValue<string>(), Is.EqualTo("Jensen-Smith"));
            Assert.That(user["name"]!["givenName"]!.GetValue<string>(), Is.EqualTo("Barbara"), "sub-attributes not given stay");
        });
    }

    [Test]
    public void A_new_primary_value_takes_primary_from_the_old_one()
    {
        var user = Apply(Users, User(), """[{ "op": "add", "path": "emails", "value": [ { "value": "new@example.com", "type": "work", "primary": true } ] }]""");
        var primaries = (user["emails"] as JsonArray)!.Where(e => e!["primary"]?.GetValue<bool>() == true).Select(e => e!["value"]!.GetValue<string>());
        Assert.That(primaries, Is.EqualTo(new[] { "new@example.com" }));
    }

    // ------------------------------------------------------------------ Microsoft Entra ID

    [Test]
    public void Entra_capitalized_ops_booleans_as_strings_and_dotted_keys()
    {
        var user = Apply(Users, User(), """
            [
              { "op": "Replace", "path": "active", "value": "False" },
              { "op": "Replace", "value": { "name.givenName": "Babs", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department": "Tours" } },
              { "op": "Add", "path": "emails[type eq \"work\"].primary", "value": "True" }
            ]
            """);
        Assert.Multiple(() =>
        {
            Assert.That(user["active"]!.GetValue<bool>(), Is.False);
            Assert.That(user["name"]!["givenName"]!.GetValue<string>(), Is.EqualTo("Babs"));
            Assert.That(user[ScimSchemaUris.EnterpriseUser]!["department"]!.GetValue<string>(), Is.EqualTo("Tours"));
            Assert.That(user["schemas"]!.AsArray().Select(s => s!.GetValue<string>()), Does.Contain(ScimSchemaUris.EnterpriseUser));
            Assert.That(((JsonArray)user["emails"]!)[0]!["primary"]!.GetValue<bool>(), Is.True);
        });
    }

    [Test]
    public void Entra_adds_a_work_phone_through_a_filter_that_matches_nothing_yet()
    {
        var user = Apply(Users, User(), """
            [
              { "op": "Add", "path": "phoneNumbers[type eq \"work\"].value", "value": "+1 555 0100" },
              { "op": "Replace", "path": "addresses[type eq \"work\"].locality", "value": "Oslo" }
            ]
            """);
        Assert.Multiple(() =>
        {
            Assert.That(JsonNode.DeepEquals(user["phoneNumbers"], JsonNode.Parse("""[{"type":"work","value":"+1 555 0100"}]""")), Is.True, user["phoneNumbers"]!.ToJsonString());
            Assert.That(user["addresses"]!.ToJsonString(), Is.EqualTo("""[{"type":"work","locality":"Oslo"}]"""));
        });
    }

    [Test]
    public void Entra_removes_members_by_a_value_array_and_by_filter()
    {
        var group = Group();
        group["members"]!.AsArray().Add(new JsonObject { ["value"] = "77aa" });
        Apply(Groups, group, """
            [
              { "op": "Remove", "path": "members", "value": [ { "value": "2819c223" } ] },
              { "op": "Remove", "path": "members[value eq \"77aa\"]" }
            ]
            """);
        Assert.That(Values(group, "members"), Is.EqualTo(new[] { "902c246b" }));
    }

    [Test]
    public void Entra_sets_the_enterprise_manager_by_its_urn_path_with_a_bare_id()
    {
        var user = Apply(Users, User(), """
            [
              { "op": "Add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", "value": "26118915" },
              { "op": "Replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber", "value": "701984" }
            ]
            """);
        Assert.That(user[ScimSchemaUris.EnterpriseUser]!.ToJsonString(), Is.EqualTo("""{"manager":{"value":"26118915"},"employeeNumber":"701984"}"""));
        Apply(Users, user, """[{ "op": "Remove", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager" }]""");
        Assert.That(user[ScimSchemaUris.EnterpriseUser]!.ToJsonString(), Is.EqualTo("""{"employeeNumber":"701984"}"""));
    }

    // ------------------------------------------------------------------ Okta

    [Test]
    public void Okta_deactivates_with_a_path_less_replace()
    {
        var user = Apply(Users, User(), """[{ "op": "replace", "value": { "active": false } }]""");
        Assert.That(user["active"]!.GetValue<bool>(), Is.False);
    }

    // ------------------------------------------------------------------ errors

    [TestCase("""[{ "op": "replace", "path": "id", "value": "x" }]""", ScimErrorType.Mutability)]
    [TestCase("""[{ "op": "replace", "path": "meta.created", "value": "x" }]""", ScimErrorType.Mutability)]
    [TestCase("""[{ "op": "add", "path": "groups", "value": [ { "value": "g" } ] }]""", ScimErrorType.Mutability)]
    [TestCase("""[{ "op": "remove", "path": "userName" }]""", ScimErrorType.Mutability)]
    [TestCase("""[{ "op": "replace", "path": "favoriteColour", "value": "blue" }]""", ScimErrorType.InvalidPath)]
    [TestCase("""[{ "op": "replace", "path": "name.nickname", "value": "x" }]""", ScimErrorType.InvalidPath)]
    [TestCase("""[{ "op": "replace", "path": "userName[value eq \"x\"]", "value": "x" }]""", ScimErrorType.InvalidPath)]
    [TestCase("""[{ "op": "replace", "path": "emails[type eq", "value": "x" }]""", ScimErrorType.InvalidPath)]
    [TestCase("""[{ "op": "replace", "path": "active", "value": "maybe" }]""", ScimErrorType.InvalidValue)]
    [TestCase("""[{ "op": "replace", "path": "userName", "value": 42 }]""", ScimErrorType.InvalidValue)]
    [TestCase("""[{ "op": "replace", "path": "emails[type co \"pager\"].value", "value": "x@y" }]""", ScimErrorType.NoTarget)]
    [TestCase("""[{ "op": "remove" }]""", ScimErrorType.NoTarget)]
    [TestCase("""[{ "op": "move", "path": "userName" }]""", ScimErrorType.InvalidSyntax)]
    [TestCase("""[{ "op": "add", "path": "nickName" }]""", ScimErrorType.InvalidValue)]
    [TestCase("""[]""", ScimErrorType.InvalidSyntax)]
    public void Bad_operations_are_refused_with_the_right_scimType(string operations, string scimType)
    {
        var error = Assert.Throws<ScimException>(() => Apply(Users, User(), operations))!;
        Assert.That((error.Status, error.ScimType), Is.EqualTo((400, scimType)), error.Message);
    }

    [Test]
    public void A_body_without_the_PatchOp_schema_is_invalid_syntax()
    {
        var error = Assert.Throws<ScimException>(() => ScimPatchRequest.Parse(JsonNode.Parse("""{ "Operations": [ { "op": "add", "path": "nickName", "value": "x" } ] }""")))!;
        Assert.That(error.ScimType, Is.EqualTo(ScimErrorType.InvalidSyntax));
    }
}
