using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using Plinto.IdentityServer.Account;

namespace Plinto.IdentityServer.EndToEndTests.Infrastructure;

internal static class Accounts
{
    public const string Password = "a long and unusual passphrase 2026";

    /// <summary>A confirmed account, created through Identity as an admin would (the sign-up journey has its own test).</summary>
    public static async Task<string> CreateAsync(PlintoServer server)
    {
        var email = $"e2e-{Guid.NewGuid():N}@example.test";
        await using var scope = server.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<PlintoUser>>();
        var result = await users.CreateAsync(new PlintoUser { UserName = email, Email = email, EmailConfirmed = true, CreatedAt = DateTimeOffset.UtcNow }, Password);
        Assert.That(result.Succeeded, Is.True, string.Join("; ", result.Errors.Select(e => e.Description)));
        return email;
    }
}
