using System.Text.Json.Nodes;

namespace Plinto.Scim.Tests;

/// <summary>Value filters evaluated on one value of a multi-valued attribute, with the schema's case rules.</summary>
internal sealed class ScimFilterEvaluatorTests
{
    private static readonly ScimAttribute Emails = ScimSchemas.User.Find("emails")!;
    private static readonly ScimAttribute Members = ScimSchemas.Group.Find("members")!;

    [TestCase("type eq \"WORK\"", ExpectedResult = true)]
    [TestCase("type eq \"home\"", ExpectedResult = false)]
    [TestCase("value co \"@EXAMPLE.com\"", ExpectedResult = true)]
    [TestCase("value sw \"bjensen\" and type eq \"work\"", ExpectedResult = true)]
    [TestCase("value ew \".org\" or primary eq true", ExpectedResult = true)]
    [TestCase("primary eq \"True\"", ExpectedResult = true)]
    [TestCase("not (primary eq true)", ExpectedResult = false)]
    [TestCase("display pr", ExpectedResult = false)]
    [TestCase("type pr", ExpectedResult = true)]
    [TestCase("display eq null", ExpectedResult = true)]
    public bool Emails_compare_case_insensitively(string filter) =>
        ScimFilterEvaluator.Matches(JsonNode.Parse("""{ "value": "bjensen@example.com", "type": "work", "primary": true }""")!.AsObject(),
            ScimFilterParser.Parse(filter), Emails);

    [Test]
    public void Member_ids_are_case_exact()
    {
        var member = JsonNode.Parse("""{ "value": "2819c223-7f76" }""")!.AsObject();
        Assert.Multiple(() =>
        {
            Assert.That(ScimFilterEvaluator.Matches(member, ScimFilterParser.Parse("value eq \"2819c223-7f76\""), Members), Is.True);
            Assert.That(ScimFilterEvaluator.Matches(member, ScimFilterParser.Parse("value eq \"2819C223-7F76\""), Members), Is.False);
        });
    }

    [Test]
    public void An_unknown_sub_attribute_is_an_invalid_filter()
    {
        var error = Assert.Throws<ScimException>(() => ScimFilterEvaluator.Matches(new JsonObject(), ScimFilterParser.Parse("colour eq \"red\""), Emails))!;
        Assert.That(error.ScimType, Is.EqualTo(ScimErrorType.InvalidFilter));
    }
}
