using System.Globalization;
using System.Linq.Expressions;
using System.Reflection;
using System.Text.Json;
using Plinto.IdentityServer.Data;
using Plinto.IdentityServer.Organizations;
using Plinto.Scim;

namespace Plinto.IdentityServer.Scim;

/// <summary>
/// Compiles SCIM filters to EF Core predicates, so every filter runs in SQL (nothing is loaded to be filtered in
/// memory). Case rules follow the schema: userName, displayName, names and e-mail addresses compare
/// case-insensitively (normalized or UPPER); id and externalId exactly. Attributes outside the tables below are
/// refused with <c>invalidFilter</c> rather than ignored.
/// </summary>
internal static class ScimQuery
{
    private static readonly MethodInfo Contains = typeof(string).GetMethod(nameof(string.Contains), [typeof(string)])!;
    private static readonly MethodInfo StartsWith = typeof(string).GetMethod(nameof(string.StartsWith), [typeof(string)])!;
    private static readonly MethodInfo EndsWith = typeof(string).GetMethod(nameof(string.EndsWith), [typeof(string)])!;
    private static readonly MethodInfo Compare = typeof(string).GetMethod(nameof(string.Compare), [typeof(string), typeof(string)])!;
    private static readonly MethodInfo ToUpper = typeof(string).GetMethod(nameof(string.ToUpper), Type.EmptyTypes)!;

    private enum Kind
    {
        Text,
        NormalizedText,
        ExactText,
        Flag,
        Time,
    }

    private sealed record Field(Func<Expression, Expression> Access, Kind Kind);

    public static Expression<Func<ScimUser, bool>> Users(ScimFilter filter)
    {
        var user = Expression.Parameter(typeof(ScimUser), "u");
        return Expression.Lambda<Func<ScimUser, bool>>(Build(filter, user, UserField, UserValuePath), user);
    }

    public static Expression<Func<ScimGroup, bool>> Groups(ScimFilter filter, PlintoDbContext db)
    {
        var group = Expression.Parameter(typeof(ScimGroup), "g");
        return Expression.Lambda<Func<ScimGroup, bool>>(Build(filter, group, GroupField, (path, inner, g) => GroupMembers(path, inner, g, db)), group);
    }

    private static Field? UserField(ScimAttributePath path) => (path.SchemaUri is null or ScimSchemaUris.User ? path.Name.ToLowerInvariant() : null, path.SubAttribute?.ToLowerInvariant()) switch
    {
        ("username", null) => new(u => Expression.Property(u, nameof(ScimUser.NormalizedUserName)), Kind.NormalizedText),
        ("externalid", null) => new(u => Expression.Property(u, nameof(ScimUser.ExternalId)), Kind.ExactText),
        ("id", null) => new(u => Expression.Property(u, nameof(ScimUser.UserId)), Kind.ExactText),
        ("active", null) => new(u => Expression.Property(u, nameof(ScimUser.Active)), Kind.Flag),
        ("displayname", null) => new(u => Expression.Property(u, nameof(ScimUser.DisplayName)), Kind.Text),
        ("name", "givenname") => new(u => Expression.Property(u, nameof(ScimUser.GivenName)), Kind.Text),
        ("name", "familyname") => new(u => Expression.Property(u, nameof(ScimUser.FamilyName)), Kind.Text),
        ("meta", "created") => new(u => Expression.Property(u, nameof(ScimUser.CreatedAt)), Kind.Time),
        ("meta", "lastmodified") => new(u => Expression.Property(u, nameof(ScimUser.ModifiedAt)), Kind.Time),
        _ => null,
    };

    private static Field? EmailField(ScimAttributePath path) => (path.Name.ToLowerInvariant(), path.SubAttribute) switch
    {
        ("value", null) => new(e => Expression.Property(e, nameof(ScimUserEmail.NormalizedValue)), Kind.NormalizedText),
        ("type", null) => new(e => Expression.Property(e, nameof(ScimUserEmail.Type)), Kind.Text),
        ("primary", null) => new(e => Expression.Property(e, nameof(ScimUserEmail.Primary)), Kind.Flag),
        _ => null,
    };

    private static Field? GroupField(ScimAttributePath path) => (path.SchemaUri is null or ScimSchemaUris.Group ? path.Name.ToLowerInvariant() : null, path.SubAttribute?.ToLowerInvariant()) switch
    {
        ("displayname", null) => new(g => Expression.Property(g, nameof(ScimGroup.NormalizedDisplayName)), Kind.NormalizedText),
        ("externalid", null) => new(g => Expression.Property(g, nameof(ScimGroup.ExternalId)), Kind.ExactText),
        ("id", null) => new(g => Expression.Property(g, nameof(ScimGroup.Id)), Kind.ExactText),
        ("meta", "created") => new(g => Expression.Property(g, nameof(ScimGroup.CreatedAt)), Kind.Time),
        ("meta", "lastmodified") => new(g => Expression.Property(g, nameof(ScimGroup.ModifiedAt)), Kind.Time),
        _ => null,
    };

    private static Expression Build(
        ScimFilter filter, ParameterExpression item, Func<ScimAttributePath, Field?> fields,
        Func<ScimAttributePath, ScimFilter, ParameterExpression, Expression?> valuePath) => filter switch
    {
        ScimAnd both => Expression.AndAlso(Build(both.Left, item, fields, valuePath), Build(both.Right, item, fields, valuePath)),
        ScimOr either => Expression.OrElse(Build(either.Left, item, fields, valuePath), Build(either.Right, item, fields, valuePath)),
        ScimNot negated => Expression.Not(Build(negated.Inner, item, fields, valuePath)),
        ScimValuePath path => valuePath(path.Path, path.Filter, item) ?? throw Unsupported(path.Path),
        ScimPresent present when fields(present.Path) is { } field => Present(field.Access(item)),
        ScimComparison comparison when fields(comparison.Path) is { } field => Comparison(field.Access(item), field.Kind, comparison),
        // emails, emails.value, emails.type: "some address" (RFC 7644 §3.4.2.2: a multi-valued attribute matches when any value does).
        ScimPresent present => valuePath(present.Path with { SubAttribute = null }, new ScimPresent(Sub(present.Path)), item) ?? throw Unsupported(present.Path),
        ScimComparison comparison => valuePath(comparison.Path with { SubAttribute = null }, comparison with { Path = Sub(comparison.Path) }, item)
            ?? throw Unsupported(comparison.Path),
        _ => throw Unsupported(null),
    };

    /// <summary><c>emails.value</c> inside the value: <c>value</c>; plain <c>emails</c> means its value.</summary>
    private static ScimAttributePath Sub(ScimAttributePath path) => new(null, path.SubAttribute ?? "value", null);

    private static Expression? UserValuePath(ScimAttributePath path, ScimFilter inner, ParameterExpression user)
    {
        if (!path.Is("emails") || path.SchemaUri is not (null or ScimSchemaUris.User))
        {
            return null;
        }

        var email = Expression.Parameter(typeof(ScimUserEmail), "e");
        var condition = Build(inner, email, EmailField, (p, _, _) => throw ScimException.BadRequest(ScimErrorType.InvalidFilter, $"'{p}' cannot be nested."));
        return Expression.Call(typeof(Enumerable), nameof(Enumerable.Any), [typeof(ScimUserEmail)],
            Expression.Property(user, nameof(ScimUser.Emails)), Expression.Lambda<Func<ScimUserEmail, bool>>(condition, email));
    }

    /// <summary><c>members[value eq "id"]</c> or <c>members.value eq "id"</c>: a subquery on the role's holders.</summary>
    private static Expression? GroupMembers(ScimAttributePath path, ScimFilter inner, ParameterExpression group, PlintoDbContext db)
    {
        if (!path.Is("members"))
        {
            return null;
        }

        var holder = Expression.Parameter(typeof(OrganizationMemberRole), "m");
        var condition = Build(inner, holder,
            p => p.Is("value") ? new Field(m => Expression.Property(m, nameof(OrganizationMemberRole.UserId)), Kind.ExactText) : null,
            (p, _, _) => throw ScimException.BadRequest(ScimErrorType.InvalidFilter, $"'{p}' cannot be nested."));
        var sameRole = Expression.AndAlso(
            Expression.Equal(Expression.Property(holder, nameof(OrganizationMemberRole.OrganizationId)), Expression.Property(group, nameof(ScimGroup.OrganizationId))),
            Expression.Equal(Expression.Property(holder, nameof(OrganizationMemberRole.RoleName)), Expression.Property(group, nameof(ScimGroup.RoleName))));
        // The DbSet's own query root, so EF Core sees a correlated subquery (a DbSet constant would not translate).
        var holders = db.Set<OrganizationMemberRole>().AsQueryable().Expression;
        return Expression.Call(typeof(Queryable), nameof(Queryable.Any), [typeof(OrganizationMemberRole)],
            holders, Expression.Quote(Expression.Lambda<Func<OrganizationMemberRole, bool>>(Expression.AndAlso(sameRole, condition), holder)));
    }

    /// <summary>pr: a string with a value; booleans and times (non-nullable columns) always have one.</summary>
    private static Expression Present(Expression column) => column.Type == typeof(string)
        ? Expression.AndAlso(Expression.NotEqual(column, Expression.Constant(null, typeof(string))), Expression.NotEqual(column, Expression.Constant(string.Empty)))
        : Expression.Constant(true);

    private static Expression Comparison(Expression column, Kind kind, ScimComparison comparison)
    {
        var op = comparison.Operator;
        var value = comparison.Value;
        if (kind == Kind.Flag)
        {
            var flag = value?.GetValueKind() switch
            {
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                JsonValueKind.String when bool.TryParse(value.GetValue<string>(), out var parsed) => parsed,
                _ => throw ScimException.BadRequest(ScimErrorType.InvalidFilter, $"{comparison.Path} is true or false."),
            };
            return op switch
            {
                ScimComparisonOperator.Equal => Expression.Equal(column, Expression.Constant(flag)),
                ScimComparisonOperator.NotEqual => Expression.NotEqual(column, Expression.Constant(flag)),
                _ => throw ScimException.BadRequest(ScimErrorType.InvalidFilter, $"{comparison.Path} can only be compared with eq or ne."),
            };
        }

        if (kind == Kind.Time)
        {
            if (value?.GetValueKind() != JsonValueKind.String
                || !DateTimeOffset.TryParse(value.GetValue<string>(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
            {
                throw ScimException.BadRequest(ScimErrorType.InvalidFilter, $"{comparison.Path} is compared with a date such as \"2026-01-31T12:00:00Z\".");
            }

            var milliseconds = Parameter(at.ToUnixTimeMilliseconds());
            return op switch
            {
                ScimComparisonOperator.Equal => Expression.Equal(column, milliseconds),
                ScimComparisonOperator.NotEqual => Expression.NotEqual(column, milliseconds),
                ScimComparisonOperator.GreaterThan => Expression.GreaterThan(column, milliseconds),
                ScimComparisonOperator.GreaterThanOrEqual => Expression.GreaterThanOrEqual(column, milliseconds),
                ScimComparisonOperator.LessThan => Expression.LessThan(column, milliseconds),
                ScimComparisonOperator.LessThanOrEqual => Expression.LessThanOrEqual(column, milliseconds),
                _ => throw ScimException.BadRequest(ScimErrorType.InvalidFilter, $"{comparison.Path} is a date: use eq ne gt ge lt le."),
            };
        }

        if (value is null)
        {
            return op switch
            {
                ScimComparisonOperator.Equal => Expression.Equal(column, Expression.Constant(null, typeof(string))),
                ScimComparisonOperator.NotEqual => Expression.NotEqual(column, Expression.Constant(null, typeof(string))),
                _ => throw ScimException.BadRequest(ScimErrorType.InvalidFilter, "null can only be compared with eq or ne."),
            };
        }

        if (value.GetValueKind() != JsonValueKind.String)
        {
            throw ScimException.BadRequest(ScimErrorType.InvalidFilter, $"{comparison.Path} is a string; quote the value.");
        }

        var text = value.GetValue<string>();
        Expression left = column;
        if (kind == Kind.NormalizedText)
        {
            text = text.ToUpperInvariant();
        }
        else if (kind == Kind.Text)
        {
            // caseExact false (RFC 7643 §2.2): UPPER on both sides, in SQL.
            left = Expression.Call(column, ToUpper);
            text = text.ToUpperInvariant();
        }

        var right = Parameter(text);
        var notNull = Expression.NotEqual(column, Expression.Constant(null, typeof(string)));
        Expression test = op switch
        {
            ScimComparisonOperator.Equal => Expression.Equal(left, right),
            ScimComparisonOperator.NotEqual => Expression.NotEqual(left, right),
            ScimComparisonOperator.Contains => Expression.AndAlso(notNull, Expression.Call(left, Contains, right)),
            ScimComparisonOperator.StartsWith => Expression.AndAlso(notNull, Expression.Call(left, StartsWith, right)),
            ScimComparisonOperator.EndsWith => Expression.AndAlso(notNull, Expression.Call(left, EndsWith, right)),
            ScimComparisonOperator.GreaterThan => Expression.GreaterThan(Expression.Call(Compare, left, right), Expression.Constant(0)),
            ScimComparisonOperator.GreaterThanOrEqual => Expression.GreaterThanOrEqual(Expression.Call(Compare, left, right), Expression.Constant(0)),
            ScimComparisonOperator.LessThan => Expression.LessThan(Expression.Call(Compare, left, right), Expression.Constant(0)),
            _ => Expression.LessThanOrEqual(Expression.Call(Compare, left, right), Expression.Constant(0)),
        };
        return test;
    }

    /// <summary>A value EF Core sends as a SQL parameter (a captured variable), not inlined: one cached plan per filter shape.</summary>
    private static Expression Parameter<T>(T value) => Expression.Property(Expression.Constant(new Captured<T>(value)), nameof(Captured<T>.Value));

    private sealed record Captured<T>(T Value);

    private static ScimException Unsupported(ScimAttributePath? path) =>
        ScimException.BadRequest(ScimErrorType.InvalidFilter, path is null ? "This filter is not supported." : $"Filtering on '{path}' is not supported.");
}
