using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Identity;

namespace Plinto.IdentityServer.Account.Mfa;

internal enum SecondFactorResult
{
    Accepted,
    Rejected,
    /// <summary>Another request changed the account at the same moment (e.g. the same code twice): refused.</summary>
    Conflict,
}

/// <summary>
/// The account's second factors: an authenticator app (TOTP) and recovery codes. Stored as Identity user tokens
/// under the login provider <c>Plinto</c>; every change goes through <see cref="UserManager{TUser}.UpdateAsync"/>,
/// whose concurrency stamp makes two simultaneous uses of one code fail for one of them.
/// </summary>
internal sealed class SecondFactors(UserManager<PlintoUser> users, TimeProvider time)
{
    public const string Provider = "Plinto";
    private const string TotpSecretToken = "TotpSecret";
    private const string TotpLastStepToken = "TotpLastStep";
    private const string RecoveryCodesToken = "RecoveryCodes";
    public const int RecoveryCodeCount = 10;

    public async Task<bool> HasAuthenticatorAsync(PlintoUser user) =>
        !string.IsNullOrEmpty(await users.GetAuthenticationTokenAsync(user, Provider, TotpSecretToken));

    /// <summary>True when the account has any second factor it can use to sign in.</summary>
    public async Task<bool> IsEnrolledAsync(PlintoUser user) => await HasAuthenticatorAsync(user) || await HasPasskeyAsync(user);

    public async Task<bool> HasPasskeyAsync(PlintoUser user) => (await users.GetPasskeysAsync(user)).Count > 0;

    /// <summary>
    /// Stores the secret once the person proved their app has it (a first valid code), turns on two-factor sign-in
    /// and returns fresh recovery codes (shown once). Null when the code is wrong.
    /// </summary>
    public async Task<IReadOnlyList<string>?> EnableAuthenticatorAsync(PlintoUser user, byte[] secret, string code)
    {
        var step = Totp.Match(secret, code, time.GetUtcNow(), lastAcceptedStep: long.MinValue);
        if (step is null)
        {
            return null;
        }

        await users.SetAuthenticationTokenAsync(user, Provider, TotpSecretToken, Base32.Encode(secret));
        await users.SetAuthenticationTokenAsync(user, Provider, TotpLastStepToken, step.Value.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var codes = await ReplaceRecoveryCodesAsync(user);
        await users.SetTwoFactorEnabledAsync(user, true);
        return codes;
    }

    public async Task<SecondFactorResult> VerifyAuthenticatorAsync(PlintoUser user, string code)
    {
        var secret = Base32.Decode(await users.GetAuthenticationTokenAsync(user, Provider, TotpSecretToken) ?? string.Empty);
        if (secret is not { Length: > 0 })
        {
            return SecondFactorResult.Rejected;
        }

        var last = long.TryParse(await users.GetAuthenticationTokenAsync(user, Provider, TotpLastStepToken), out var stored) ? stored : long.MinValue;
        if (Totp.Match(secret, code, time.GetUtcNow(), last) is not { } step)
        {
            return SecondFactorResult.Rejected;
        }

        // RFC 6238 §5.2: remember the step so the same code (or an earlier one) is never accepted again.
        var result = await users.SetAuthenticationTokenAsync(user, Provider, TotpLastStepToken, step.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return result.Succeeded ? SecondFactorResult.Accepted : SecondFactorResult.Conflict;
    }

    /// <summary>New recovery codes replace the old ones; only their hashes are stored.</summary>
    public async Task<IReadOnlyList<string>> ReplaceRecoveryCodesAsync(PlintoUser user)
    {
        var codes = Enumerable.Range(0, RecoveryCodeCount).Select(_ => NewRecoveryCode()).ToList();
        await users.SetAuthenticationTokenAsync(user, Provider, RecoveryCodesToken, string.Join(' ', codes.Select(Hash)));
        return codes;
    }

    public async Task<int> CountRecoveryCodesAsync(PlintoUser user) => (await StoredHashesAsync(user)).Count;

    public async Task<SecondFactorResult> RedeemRecoveryCodeAsync(PlintoUser user, string code)
    {
        var hashes = await StoredHashesAsync(user);
        var candidate = Hash(code);
        var match = hashes.FirstOrDefault(h => CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(h), Encoding.ASCII.GetBytes(candidate)));
        if (match is null)
        {
            return SecondFactorResult.Rejected;
        }

        hashes.Remove(match);
        var result = await users.SetAuthenticationTokenAsync(user, Provider, RecoveryCodesToken, string.Join(' ', hashes));
        return result.Succeeded ? SecondFactorResult.Accepted : SecondFactorResult.Conflict;
    }

    /// <summary>Removes the authenticator and the recovery codes and turns two-factor sign-in off (the caller ends other sessions).</summary>
    public async Task DisableAsync(PlintoUser user)
    {
        await users.RemoveAuthenticationTokenAsync(user, Provider, TotpSecretToken);
        await users.RemoveAuthenticationTokenAsync(user, Provider, TotpLastStepToken);
        await users.RemoveAuthenticationTokenAsync(user, Provider, RecoveryCodesToken);
        await users.SetTwoFactorEnabledAsync(user, false);
    }

    private async Task<List<string>> StoredHashesAsync(PlintoUser user) =>
        (await users.GetAuthenticationTokenAsync(user, Provider, RecoveryCodesToken) ?? string.Empty)
            .Split(' ', StringSplitOptions.RemoveEmptyEntries).ToList();

    /// <summary>Ten base32 characters (50 bits) shown as xxxxx-xxxxx; a fast hash suffices for random values this long.</summary>
    private static string NewRecoveryCode()
    {
        var raw = Base32.Encode(RandomNumberGenerator.GetBytes(7))[..10].ToLowerInvariant();
        return $"{raw[..5]}-{raw[5..]}";
    }

    private static string Hash(string code)
    {
        var normalized = new string(code.Where(char.IsAsciiLetterOrDigit).ToArray()).ToUpperInvariant();
        return Convert.ToBase64String(SHA256.HashData(Encoding.ASCII.GetBytes("plinto-recovery:" + normalized)));
    }
}
