using System.Text.Json.Nodes;

namespace Plinto.Scim.Tests;

/// <summary>The filter grammar of RFC 7644 §3.4.2.2, its examples, precedence, and what must be refused.</summary>
internal sealed class ScimFilterParserTests
{
    // Every example filter of RFC 7644 §3.4.2.2, as printed there.
    [TestCase("userName eq \"bjensen\"")]
    [TestCase("name.familyName co \"O'Malley\"")]
    [TestCase("userName sw \"J\"")]
    [TestCase("urn:ietf:params:scim:schemas:core:2.0:User:userName sw \"J\"")]
    [TestCase("title pr")]
    [TestCase("meta.lastModified gt \"2011-05-13T04:42:34Z\"")]
    [TestCase("meta.lastModified ge \"2011-05-13T04:42:34Z\"")]
    [TestCase("meta.lastModified lt \"2011-05-13T04:42:34Z\"")]
    [TestCase("meta.lastModified le \"2011-05-13T04:42:34Z\"")]
    [TestCase("title pr and userType eq \"Employee\"")]
    [TestCase("title pr or userType eq \"Intern\"")]
    [TestCase("schemas eq \"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User\"")]
    [TestCase("userType eq \"Employee\" and (emails co \"example.com\" or emails.value co \"example.org\")")]
    [TestCase("userType ne \"Employee\" and not (emails co \"example.com\" or emails.value co \"example.org\")")]
    [TestCase("userType eq \"Employee\" and (emails.type eq \"work\")")]
    [TestCase("userType eq \"Employee\" and emails[type eq \"work\" and value co \"@example.com\"]")]
    [TestCase("emails[type eq \"work\" and value co \"@example.com\"] or ims[type eq \"xmpp\" and value co \"@foo.com\"]")]
    public void Every_example_of_RFC_7644_parses(string filter) =>
        Assert.That(ScimFilterParser.Parse(filter), Is.Not.Null);

    [Test]
    public void And_binds_tighter_than_or_and_parentheses_group()
    {
        var filter = ScimFilterParser.Parse("a eq \"1\" or b eq \"2\" and c eq \"3\"");
        Assert.That(filter, Is.TypeOf<ScimOr>());
        Assert.That(((ScimOr)filter).Right, Is.TypeOf<ScimAnd>());

        var grouped = ScimFilterParser.Parse("(a eq \"1\" or b eq \"2\") and c eq \"3\"");
        Assert.That(grouped, Is.TypeOf<ScimAnd>());
        Assert.That(((ScimAnd)grouped).Left, Is.TypeOf<ScimOr>());
    }

    [Test]
    public void Operators_keywords_and_literals_are_case_insensitive_and_values_keep_their_types()
    {
        var filter = (ScimAnd)ScimFilterParser.Parse("userName EQ \"Ada\\\"Lovelace\" AND active Eq TRUE");
        var name = (ScimComparison)filter.Left;
        var active = (ScimComparison)filter.Right;
        Assert.Multiple(() =>
        {
            Assert.That(name.Operator, Is.EqualTo(ScimComparisonOperator.Equal));
            Assert.That(name.Value!.GetValue<string>(), Is.EqualTo("Ada\"Lovelace"));
            Assert.That(active.Value!.GetValue<bool>(), Is.True);
            Assert.That(((ScimComparison)ScimFilterParser.Parse("x eq null")).Value, Is.Null);
            Assert.That(((ScimComparison)ScimFilterParser.Parse("x gt 10.5")).Value!.GetValue<decimal>(), Is.EqualTo(10.5m));
        });
    }

    [Test]
    public void Paths_carry_the_schema_the_attribute_and_the_sub_attribute()
    {
        var comparison = (ScimComparison)ScimFilterParser.Parse("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq \"26118915\"");
        Assert.That(comparison.Path, Is.EqualTo(new ScimAttributePath(ScimSchemaUris.EnterpriseUser, "manager", "value")));

        var valuePath = (ScimValuePath)ScimFilterParser.Parse("emails[type eq \"work\" and value co \"@example.com\"]");
        Assert.That(valuePath.Path, Is.EqualTo(new ScimAttributePath(null, "emails", null)));
        Assert.That(valuePath.Filter, Is.TypeOf<ScimAnd>());
    }

    [Test]
    public void Patch_paths_take_a_filter_and_a_sub_attribute()
    {
        var path = ScimFilterParser.ParsePath("emails[type eq \"work\"].value");
        Assert.Multiple(() =>
        {
            Assert.That(path.Attribute, Is.EqualTo(new ScimAttributePath(null, "emails", null)));
            Assert.That(path.ValueFilter, Is.EqualTo(new ScimComparison(new ScimAttributePath(null, "type", null), ScimComparisonOperator.Equal, JsonValue.Create("work"))).Using<ScimFilter>(SameFilter));
            Assert.That(path.SubAttribute, Is.EqualTo("value"));
            Assert.That(ScimFilterParser.ParsePath("members[value eq \"2819c223\"]").ValueFilter, Is.Not.Null);
            Assert.That(ScimFilterParser.ParsePath("name.familyName").Attribute.SubAttribute, Is.EqualTo("familyName"));
        });
    }

    [TestCase("", "empty")]
    [TestCase("userName", "an operator")]
    [TestCase("userName eq", "a value")]
    [TestCase("userName xx \"a\"", "not an operator")]
    [TestCase("userName eq bjensen", "not a value")]
    [TestCase("userName eq \"bjensen", "not terminated")]
    [TestCase("(userName eq \"a\"", "expected ')'")]
    [TestCase("userName eq \"a\")", "unexpected ')'")]
    [TestCase("emails[type eq \"work\"", "expected ']'")]
    [TestCase("emails[type[value eq \"a\"] eq \"b\"]", "cannot be nested")]
    [TestCase("name.familyName.first eq \"a\"", "not an attribute path")]
    [TestCase("9lives eq \"a\"", "not an attribute path")]
    [TestCase("userName co 5", "needs a string")]
    [TestCase("active gt true", "cannot compare booleans")]
    [TestCase("userName eq \"a\" and", "attribute name")]
    [TestCase("not userName eq \"a\"", "expected '('")]
    [TestCase("userName eq \"a\" userName eq \"b\"", "unexpected")]
    public void Bad_filters_are_refused_with_invalidFilter_and_say_why(string filter, string reason)
    {
        var error = Assert.Throws<ScimException>(() => ScimFilterParser.Parse(filter))!;
        Assert.Multiple(() =>
        {
            Assert.That(error.Status, Is.EqualTo(400));
            Assert.That(error.ScimType, Is.EqualTo(ScimErrorType.InvalidFilter));
            Assert.That(error.Message, Does.Contain(reason));
        });
    }

    [Test]
    public void Length_depth_and_size_are_bounded()
    {
        var limits = new ScimFilterLimits(MaxLength: 200, MaxDepth: 4, MaxComparisons: 3);
        Assert.Multiple(() =>
        {
            Assert.That(Assert.Throws<ScimException>(() => ScimFilterParser.Parse("userName eq \"" + new string('a', 200) + "\"", limits))!.Message,
                Does.Contain("longer than 200"));
            Assert.That(Assert.Throws<ScimException>(() => ScimFilterParser.Parse("((((((a eq \"1\"))))))", limits))!.Message, Does.Contain("deeper than 4"));
            Assert.That(Assert.Throws<ScimException>(() => ScimFilterParser.Parse("a pr or b pr or c pr or d pr", limits))!.Message, Does.Contain("more than 3"));
            Assert.That(ScimFilterParser.Parse("a pr or b pr or c pr", limits), Is.Not.Null);
        });

        // The defaults hold a hostile filter off too.
        var deep = string.Concat(Enumerable.Repeat("not (", 500)) + "a pr" + new string(')', 500);
        Assert.That(Assert.Throws<ScimException>(() => ScimFilterParser.Parse(deep))!.ScimType, Is.EqualTo(ScimErrorType.InvalidFilter));
    }

    [Test]
    public void Error_bodies_follow_RFC_7644_section_3_12()
    {
        var body = Assert.Throws<ScimException>(() => ScimFilterParser.Parse("userName eq"))!.ToJson();
        Assert.Multiple(() =>
        {
            Assert.That(body["schemas"]![0]!.GetValue<string>(), Is.EqualTo("urn:ietf:params:scim:api:messages:2.0:Error"));
            Assert.That(body["status"]!.GetValue<string>(), Is.EqualTo("400"));
            Assert.That(body["scimType"]!.GetValue<string>(), Is.EqualTo("invalidFilter"));
            Assert.That(body["detail"]!.GetValue<string>(), Does.StartWith("Invalid filter at the end"));
        });
    }

    private static bool SameFilter(ScimFilter? left, ScimFilter? right) =>
        left is ScimComparison a && right is ScimComparison b
            ? a.Path == b.Path && a.Operator == b.Operator && JsonNode.DeepEquals(a.Value, b.Value)
            : Equals(left, right);
}
