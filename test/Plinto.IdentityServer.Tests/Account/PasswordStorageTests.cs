using System.Buffers.Binary;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Plinto.IdentityServer.Account;
using Plinto.IdentityServer.Data;
using Plinto.IdentityServer.Tests.Infrastructure;
using static Plinto.IdentityServer.Tests.Infrastructure.PlintoFactory;

namespace Plinto.IdentityServer.Tests.Account;

/// <summary>
/// How passwords are stored: PBKDF2-HMAC-SHA512 with 220,000 iterations (OWASP Password Storage Cheat Sheet: at least
/// 210,000), and weaker hashes upgraded at the next sign-in without ending the account's sessions and grants.
/// </summary>
internal sealed class PasswordStorageTests(DatabaseProvider provider) : DatabaseFixture(provider)
{
    [Test]
    public async Task New_passwords_are_hashed_with_PBKDF2_HMAC_SHA512_and_220000_iterations()
    {
        var email = UniqueUser.Email("hash");
        await Factory.CreateUserAsync(email, UniqueUser.Password);

        var (prf, iterations, saltLength) = Parse(await StoredHashAsync(email));

        Assert.That(prf, Is.EqualTo(KeyDerivationPrfSha512), "HMAC-SHA512");
        Assert.That(iterations, Is.EqualTo(220_000));
        Assert.That(saltLength, Is.GreaterThanOrEqualTo(16), "a 128-bit salt at least");
    }

    [TestCase(210_000)] // Plinto before this change
    [TestCase(100_000)] // ASP.NET Core Identity's default: hashes imported from another Identity store
    public async Task A_weaker_hash_is_upgraded_at_sign_in_and_the_accounts_grants_survive(int oldIterations)
    {
        var email = UniqueUser.Email("rehash");
        await Factory.CreateUserAsync(email, UniqueUser.Password);
        var browser = NewBrowser();
        var tokens = await WebClientTokensAsync(browser, "openid offline_access", email);
        await ReplaceHashAsync(email, oldIterations);

        var (_, wrong) = await SignInAsync(NewBrowser(), email, "not the password at all");
        Assert.That(wrong, Is.Not.Empty, "a wrong password is refused");
        Assert.That(Parse(await StoredHashAsync(email)).Iterations, Is.EqualTo(oldIterations), "a failed check rewrites nothing");

        var (_, right) = await SignInAsync(NewBrowser(), email, UniqueUser.Password);
        Assert.That(right, Is.Empty, "the old hash still verifies");
        Assert.That(Parse(await StoredHashAsync(email)).Iterations, Is.EqualTo(220_000), "upgraded by the sign-in");

        // Same password, stronger hash: not a credential change, so the refresh token issued before still works.
        var refreshed = await OidcClient.RefreshAsync(browser.Client, tokens.Get("refresh_token"), ConfidentialClientId, ConfidentialSecret);
        Assert.That(refreshed.Error, Is.Null, refreshed.Json.ToString());

        var (_, again) = await SignInAsync(NewBrowser(), email, UniqueUser.Password);
        Assert.That(again, Is.Empty, "the upgraded hash verifies");
    }

    [Test]
    public async Task A_hash_upgrade_that_loses_a_race_leaves_the_request_able_to_save_the_account()
    {
        var email = UniqueUser.Email("rehash-race");
        await Factory.CreateUserAsync(email, UniqueUser.Password);
        await ReplaceHashAsync(email, 210_000);

        await using var scope = Factory.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<PlintoUser>>();
        var user = await users.FindByEmailAsync(email) ?? throw new InvalidOperationException("no such user");

        // Another request signs the same account in after this one read it, and upgrades the hash first.
        await using (var other = Factory.Services.CreateAsyncScope())
        {
            var otherUsers = other.ServiceProvider.GetRequiredService<UserManager<PlintoUser>>();
            var same = await otherUsers.FindByEmailAsync(email) ?? throw new InvalidOperationException("no such user");
            Assert.That(await otherUsers.CheckPasswordAsync(same, UniqueUser.Password), Is.True);
        }

        Assert.That(await users.CheckPasswordAsync(user, UniqueUser.Password), Is.True, "the password is right; only the upgrade lost");
        // What the sign-in does next (its session, the failure count) saves the account in this same request.
        var saved = await users.UpdateAsync(user);
        Assert.That(saved.Succeeded, Is.True, string.Join("; ", saved.Errors.Select(e => e.Code)));
        Assert.That(Parse(await StoredHashAsync(email)).Iterations, Is.EqualTo(220_000), "the winner's upgrade stays");
    }

    // Microsoft.AspNetCore.Cryptography.KeyDerivation.KeyDerivationPrf.HMACSHA512
    private const uint KeyDerivationPrfSha512 = 2;

    /// <summary>Identity's version 3 format: 0x01, PRF, iteration count, salt length (big-endian), salt, subkey.</summary>
    private static (uint Prf, int Iterations, int SaltLength) Parse(string hash)
    {
        var bytes = Convert.FromBase64String(hash);
        Assert.That(bytes[0], Is.EqualTo(0x01), "Identity's version 3 hash format");
        return (BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(1)),
            (int)BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(5)),
            (int)BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(9)));
    }

    private async Task<string> StoredHashAsync(string email)
    {
        await using var scope = Factory.Services.CreateAsyncScope();
        var user = await scope.ServiceProvider.GetRequiredService<UserManager<PlintoUser>>().FindByEmailAsync(email);
        return user?.PasswordHash ?? throw new InvalidOperationException("no password hash stored");
    }

    /// <summary>Stores the same password hashed with fewer iterations, as an older build or another store would have.</summary>
    private async Task ReplaceHashAsync(string email, int iterations)
    {
        await using var scope = Factory.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<PlintoUser>>();
        var user = await users.FindByEmailAsync(email) ?? throw new InvalidOperationException("no such user");
        var weaker = new PasswordHasher<PlintoUser>(Options.Create(new PasswordHasherOptions { IterationCount = iterations }));
        user.PasswordHash = weaker.HashPassword(user, UniqueUser.Password);
        var result = await users.UpdateAsync(user);
        Assert.That(result.Succeeded, Is.True);
        Assert.That(Parse(await StoredHashAsync(email)).Iterations, Is.EqualTo(iterations));
    }
}
