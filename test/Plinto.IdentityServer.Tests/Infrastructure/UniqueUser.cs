namespace Plinto.IdentityServer.Tests.Infrastructure;

/// <summary>Every test gets its own account, so tests never depend on each other.</summary>
internal static class UniqueUser
{
    public const string Password = "correct horse battery staple 42";

    public static string Email(string prefix = "user") => $"{prefix}-{Guid.NewGuid():N}@example.test";
}
