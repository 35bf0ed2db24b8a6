using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Identity;

namespace Plinto.IdentityServer.Account.Mfa;

internal enum EmailCodePurpose
{
    /// <summary>Passwordless sign-in: the code is the only factor.</summary>
    SignIn,

    /// <summary>The second step after a password.</summary>
    SecondFactor,
}

/// <summary>
/// One-time codes sent by e-mail: 6 digits, valid <see cref="Lifetime"/>, at most <see cref="MaxAttempts"/> guesses,
/// single use, at most one new code per <see cref="ResendAfter"/>. Stored hashed as an Identity user token; every
/// change goes through the account's concurrency stamp, so a code cannot be used twice by racing requests.
/// </summary>
internal sealed class EmailCodes(UserManager<PlintoUser> users, Email.AccountEmailSender email, TimeProvider time)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(10);
    public static readonly TimeSpan ResendAfter = TimeSpan.FromSeconds(60);
    public const int MaxAttempts = 5;

    /// <summary>Sends a new code unless one was sent less than a minute ago (then the earlier one stays valid).</summary>
    public async Task SendAsync(PlintoUser user, EmailCodePurpose purpose)
    {
        var now = time.GetUtcNow();
        if (Read(await users.GetAuthenticationTokenAsync(user, SecondFactors.Provider, TokenName(purpose))) is { } existing
            && now - existing.IssuedAt < ResendAfter)
        {
            return;
        }

        var code = RandomNumberGenerator.GetInt32(0, 1_000_000).ToString("D6", CultureInfo.InvariantCulture);
        var state = new State(Hash(code), now + Lifetime, MaxAttempts, now);
        if ((await users.SetAuthenticationTokenAsync(user, SecondFactors.Provider, TokenName(purpose), state.ToString())).Succeeded)
        {
            await email.SendOneTimeCodeAsync(user.Email!, code, purpose == EmailCodePurpose.SignIn);
        }
    }

    public async Task<bool> VerifyAsync(PlintoUser user, EmailCodePurpose purpose, string code)
    {
        var name = TokenName(purpose);
        if (Read(await users.GetAuthenticationTokenAsync(user, SecondFactors.Provider, name)) is not { } state)
        {
            return false;
        }

        if (state.ExpiresAt <= time.GetUtcNow())
        {
            await users.RemoveAuthenticationTokenAsync(user, SecondFactors.Provider, name);
            return false;
        }

        // The guess is paid for before it is compared: racing requests cannot share one attempt (the write goes
        // through the account's concurrency stamp, and a lost race is a refused guess).
        var left = state.AttemptsLeft - 1;
        var paid = left <= 0
            ? await users.RemoveAuthenticationTokenAsync(user, SecondFactors.Provider, name)
            : await users.SetAuthenticationTokenAsync(user, SecondFactors.Provider, name, (state with { AttemptsLeft = left }).ToString());
        if (!paid.Succeeded)
        {
            return false;
        }

        var candidate = Hash(Totp.Normalize(code));
        if (!CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(candidate), Encoding.ASCII.GetBytes(state.CodeHash)))
        {
            return false;
        }

        // Single use: removed (already, if this was the last attempt).
        return left <= 0 || (await users.RemoveAuthenticationTokenAsync(user, SecondFactors.Provider, name)).Succeeded;
    }

    private static string TokenName(EmailCodePurpose purpose) => "EmailCode" + purpose;

    private static string Hash(string code) =>
        Convert.ToBase64String(SHA256.HashData(Encoding.ASCII.GetBytes("plinto-email-code:" + code)));

    private static State? Read(string? value)
    {
        var parts = value?.Split('|');
        return parts is [var hash, var expires, var attempts, var issued]
            && long.TryParse(expires, out var e) && int.TryParse(attempts, out var a) && long.TryParse(issued, out var i)
            ? new State(hash, DateTimeOffset.FromUnixTimeMilliseconds(e), a, DateTimeOffset.FromUnixTimeMilliseconds(i))
            : null;
    }

    private sealed record State(string CodeHash, DateTimeOffset ExpiresAt, int AttemptsLeft, DateTimeOffset IssuedAt)
    {
        public override string ToString() => string.Join('|', CodeHash,
            ExpiresAt.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture),
            AttemptsLeft.ToString(CultureInfo.InvariantCulture),
            IssuedAt.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture));
    }
}
