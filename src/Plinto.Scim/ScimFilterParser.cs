using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Plinto.Scim;

/// <summary>
/// Parses SCIM filters and PATCH paths (RFC 7644 §3.4.2.2 ABNF, §3.5.2 PATH). Operators and keywords are
/// case-insensitive; <c>and</c> binds tighter than <c>or</c>; string values are JSON strings. Anything else — and
/// anything over the <see cref="ScimFilterLimits"/> — is a <see cref="ScimException"/> with <c>invalidFilter</c>
/// (or <c>invalidPath</c> for a PATCH path): a filter that cannot be understood never means "everything".
/// </summary>
public sealed class ScimFilterParser
{
    private readonly string text;
    private readonly ScimFilterLimits limits;
    private readonly string errorType;
    private int position;
    private int depth;
    private int comparisons;

    private ScimFilterParser(string text, ScimFilterLimits limits, string errorType)
    {
        this.text = text;
        this.limits = limits;
        this.errorType = errorType;
    }

    /// <summary>Parses a <c>filter</c> query parameter.</summary>
    /// <exception cref="ScimException">400 <c>invalidFilter</c>, with the position and what was expected.</exception>
    public static ScimFilter Parse(string? filter, ScimFilterLimits? limits = null)
    {
        limits ??= ScimFilterLimits.Default;
        if (string.IsNullOrWhiteSpace(filter))
        {
            throw ScimException.BadRequest(ScimErrorType.InvalidFilter, "The filter is empty.");
        }

        if (filter.Length > limits.MaxLength)
        {
            throw ScimException.BadRequest(ScimErrorType.InvalidFilter, $"The filter is longer than {limits.MaxLength} characters.");
        }

        var parser = new ScimFilterParser(filter, limits, ScimErrorType.InvalidFilter);
        var result = parser.ParseOr(insideValuePath: false);
        parser.SkipSpaces();
        if (parser.position < filter.Length)
        {
            throw parser.Error($"unexpected '{parser.Peek()}'");
        }

        return result;
    }

    /// <summary>Parses the <c>path</c> of a PATCH operation: <c>attrPath</c>, <c>attrPath[valFilter]</c> or <c>attrPath[valFilter].subAttr</c>.</summary>
    /// <exception cref="ScimException">400 <c>invalidPath</c>.</exception>
    public static ScimPatchPath ParsePath(string? path, ScimFilterLimits? limits = null)
    {
        limits ??= ScimFilterLimits.Default;
        if (string.IsNullOrWhiteSpace(path) || path.Length > limits.MaxLength)
        {
            throw ScimException.BadRequest(ScimErrorType.InvalidPath, "The path is empty or too long.");
        }

        var parser = new ScimFilterParser(path.Trim(), limits, ScimErrorType.InvalidPath);
        var attribute = parser.ReadAttributePath();
        ScimFilter? filter = null;
        string? subAttribute = null;
        if (parser.Peek() == '[')
        {
            if (attribute.SubAttribute is not null)
            {
                throw parser.Error("a value filter applies to an attribute, not to a sub-attribute");
            }

            parser.position++;
            filter = parser.ParseOr(insideValuePath: true);
            parser.SkipSpaces();
            parser.Expect(']');
            if (parser.Peek() == '.')
            {
                parser.position++;
                subAttribute = parser.ReadWord();
                if (!IsAttributeName(subAttribute))
                {
                    throw parser.Error($"'{subAttribute}' is not an attribute name");
                }
            }
        }

        if (parser.position < parser.text.Length)
        {
            throw parser.Error($"unexpected '{parser.Peek()}'");
        }

        return new ScimPatchPath(attribute, filter, subAttribute);
    }

    private ScimFilter ParseOr(bool insideValuePath)
    {
        var left = ParseAnd(insideValuePath);
        while (TryKeyword("or"))
        {
            left = new ScimOr(left, ParseAnd(insideValuePath));
        }

        return left;
    }

    private ScimFilter ParseAnd(bool insideValuePath)
    {
        var left = ParseUnary(insideValuePath);
        while (TryKeyword("and"))
        {
            left = new ScimAnd(left, ParseUnary(insideValuePath));
        }

        return left;
    }

    private ScimFilter ParseUnary(bool insideValuePath)
    {
        Enter();
        try
        {
            SkipSpaces();
            if (TryKeyword("not"))
            {
                SkipSpaces();
                Expect('(');
                var inner = ParseOr(insideValuePath);
                SkipSpaces();
                Expect(')');
                return new ScimNot(inner);
            }

            if (Peek() == '(')
            {
                position++;
                var inner = ParseOr(insideValuePath);
                SkipSpaces();
                Expect(')');
                return inner;
            }

            var path = ReadAttributePath();
            if (Peek() == '[')
            {
                // RFC 7644 §3.4.2.2: valFilter contains no further valuePath.
                if (insideValuePath || path.SubAttribute is not null)
                {
                    throw Error("a value filter cannot be nested or follow a sub-attribute");
                }

                position++;
                var inner = ParseOr(insideValuePath: true);
                SkipSpaces();
                Expect(']');
                return new ScimValuePath(path, inner);
            }

            SkipSpaces();
            var op = ReadWord();
            if (++comparisons > limits.MaxComparisons)
            {
                throw Error($"the filter has more than {limits.MaxComparisons} comparisons");
            }

            if (string.Equals(op, "pr", StringComparison.OrdinalIgnoreCase))
            {
                return new ScimPresent(path);
            }

            var comparison = op.ToLowerInvariant() switch
            {
                "eq" => ScimComparisonOperator.Equal,
                "ne" => ScimComparisonOperator.NotEqual,
                "co" => ScimComparisonOperator.Contains,
                "sw" => ScimComparisonOperator.StartsWith,
                "ew" => ScimComparisonOperator.EndsWith,
                "gt" => ScimComparisonOperator.GreaterThan,
                "ge" => ScimComparisonOperator.GreaterThanOrEqual,
                "lt" => ScimComparisonOperator.LessThan,
                "le" => ScimComparisonOperator.LessThanOrEqual,
                _ => throw Error(op.Length == 0 ? "expected an operator after " + path : $"'{op}' is not an operator (eq ne co sw ew gt ge lt le pr)"),
            };
            SkipSpaces();
            var value = ReadValue();
            if (comparison is ScimComparisonOperator.Contains or ScimComparisonOperator.StartsWith or ScimComparisonOperator.EndsWith
                && value?.GetValueKind() != JsonValueKind.String)
            {
                throw Error($"'{op}' needs a string value");
            }

            // RFC 7644 §3.4.2.2: gt/ge/lt/le on a boolean (or null) is an invalidFilter.
            if (comparison >= ScimComparisonOperator.GreaterThan && value?.GetValueKind() is null or JsonValueKind.True or JsonValueKind.False)
            {
                throw Error($"'{op}' cannot compare booleans or null");
            }

            return new ScimComparison(path, comparison, value);
        }
        finally
        {
            depth--;
        }
    }

    private void Enter()
    {
        if (++depth > limits.MaxDepth)
        {
            throw Error($"the filter is nested deeper than {limits.MaxDepth}");
        }
    }

    private JsonValue? ReadValue()
    {
        if (Peek() == '"')
        {
            var start = position++;
            while (position < text.Length && text[position] != '"')
            {
                position += text[position] == '\\' ? 2 : 1;
            }

            if (position >= text.Length)
            {
                throw Error("the string is not terminated");
            }

            position++;
            try
            {
                return JsonValue.Create(JsonSerializer.Deserialize<string>(text.AsSpan(start, position - start))!);
            }
            catch (JsonException)
            {
                throw Error("the string is not a valid JSON string");
            }
        }

        var word = ReadWord();
        switch (word.ToLowerInvariant())
        {
            case "true":
                return JsonValue.Create(true);
            case "false":
                return JsonValue.Create(false);
            case "null":
                return null;
        }

        if (word.Length > 0 && (char.IsAsciiDigit(word[0]) || word[0] == '-')
            && decimal.TryParse(word, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent,
                CultureInfo.InvariantCulture, out var number))
        {
            return JsonValue.Create(number);
        }

        throw Error(word.Length == 0 ? "expected a value" : $"'{word}' is not a value (strings are quoted)");
    }

    private ScimAttributePath ReadAttributePath()
    {
        SkipSpaces();
        var word = ReadWord();
        if (word.Length == 0)
        {
            throw Error("expected an attribute name");
        }

        string? schema = null;
        var local = word;
        if (word.StartsWith("urn:", StringComparison.OrdinalIgnoreCase))
        {
            var colon = word.LastIndexOf(':');
            schema = word[..colon];
            local = word[(colon + 1)..];
        }

        var parts = local.Split('.');
        if (parts.Length > 2 || !parts.All(IsAttributeName))
        {
            throw Error($"'{word}' is not an attribute path");
        }

        return new ScimAttributePath(schema, parts[0], parts.Length == 2 ? parts[1] : null);
    }

    /// <summary>RFC 7643 §2.1 ATTRNAME = ALPHA *(nameChar); nameChar = "-" / "_" / DIGIT / ALPHA ("$ref" is allowed too).</summary>
    private static bool IsAttributeName(string name) =>
        name.Length > 0
        && (char.IsAsciiLetter(name[0]) || name == "$ref")
        && name.Skip(1).All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    private string ReadWord()
    {
        var start = position;
        while (position < text.Length && !char.IsWhiteSpace(text[position]) && text[position] is not ('(' or ')' or '[' or ']' or '"'))
        {
            position++;
        }

        return text[start..position];
    }

    private bool TryKeyword(string keyword)
    {
        var saved = position;
        SkipSpaces();
        var word = ReadWord();
        if (string.Equals(word, keyword, StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        position = saved;
        return false;
    }

    private void Expect(char expected)
    {
        if (Peek() != expected)
        {
            throw Error($"expected '{expected}'");
        }

        position++;
    }

    private char? Peek() => position < text.Length ? text[position] : null;

    private void SkipSpaces()
    {
        while (position < text.Length && char.IsWhiteSpace(text[position]))
        {
            position++;
        }
    }

    private ScimException Error(string problem)
    {
        var where = position < text.Length ? $"at position {position + 1}" : "at the end";
        return ScimException.BadRequest(errorType, $"Invalid {(errorType == ScimErrorType.InvalidPath ? "path" : "filter")} {where}: {problem}.");
    }
}
