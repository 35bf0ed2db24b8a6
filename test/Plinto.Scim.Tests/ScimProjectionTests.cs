using System.Text.Json.Nodes;

namespace Plinto.Scim.Tests;

/// <summary><c>attributes</c> and <c>excludedAttributes</c> (RFC 7644 §3.4.2.5).</summary>
internal sealed class ScimProjectionTests
{
    private static JsonObject User() => JsonNode.Parse("""
        {
          "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
          "id": "2819c223",
          "userName": "bjensen",
          "password": "never shown",
          "name": { "givenName": "Barbara", "familyName": "Jensen" },
          "emails": [ { "value": "bjensen@example.com" } ],
          "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": { "department": "Tours", "costCenter": "4130" }
        }
        """)!.AsObject();

    [Test]
    public void Attributes_keep_only_what_is_asked_plus_id_and_schemas()
    {
        var user = User();
        ScimProjection.Apply(user, "userName,name.familyName,urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", null,
            ScimSchemas.User, ScimSchemas.EnterpriseUser);
        Assert.That(user.ToJsonString(), Is.EqualTo(
            """{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],"id":"2819c223","userName":"bjensen","name":{"familyName":"Jensen"},"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"Tours"}}"""));
    }

    [Test]
    public void Excluded_attributes_go_but_id_stays_and_the_password_never_shows()
    {
        var user = User();
        ScimProjection.Apply(user, null, "emails,id,name.givenName", ScimSchemas.User, ScimSchemas.EnterpriseUser);
        Assert.Multiple(() =>
        {
            Assert.That(user.ContainsKey("emails"), Is.False);
            Assert.That(user.ContainsKey("password"), Is.False);
            Assert.That(user["id"]!.GetValue<string>(), Is.EqualTo("2819c223"));
            Assert.That(user["name"]!.ToJsonString(), Is.EqualTo("""{"familyName":"Jensen"}"""));
        });
    }

    [Test]
    public void A_malformed_attribute_list_is_an_invalid_value()
    {
        var error = Assert.Throws<ScimException>(() => ScimProjection.Apply(User(), "userName,emails[type eq", null, ScimSchemas.User))!;
        Assert.That(error.ScimType, Is.EqualTo(ScimErrorType.InvalidValue));
    }
}
