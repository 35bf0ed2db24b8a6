using System.Buffers.Binary;
using System.Security.Cryptography;
using Microsoft.Playwright;

namespace Plinto.IdentityServer.EndToEndTests.Pages;

/// <summary>The authenticator-app pages, and an authenticator app (RFC 6238, computed here from the shared secret).</summary>
internal static class TotpJourney
{
    /// <summary>From a signed-in page: turns on two-step verification; returns the secret and the recovery codes.</summary>
    public static async Task<(string Secret, IReadOnlyList<string> RecoveryCodes)> EnrollAsync(IPage page)
    {
        await page.GotoAsync("/account/manage/mfa");
        await page.GetByRole(AriaRole.Link, new() { Name = "Set up an authenticator app" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Img, new() { Name = "QR code for your authenticator app" })).ToBeVisibleAsync();
        var secret = (await page.GetByTestId("totp-secret").TextContentAsync())!;
        var code = page.GetByLabel("Code from the app");
        await Assertions.Expect(code).ToHaveAttributeAsync("autocomplete", "one-time-code");
        await Assertions.Expect(code).ToHaveAttributeAsync("inputmode", "numeric");
        await code.FillAsync(Code(secret, DateTimeOffset.UtcNow));
        await page.GetByRole(AriaRole.Button, new() { Name = "Turn on" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Save your recovery codes" })).ToBeVisibleAsync();
        var codes = await page.Locator("ul.recovery-codes code").AllTextContentsAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "I saved them, continue" }).ClickAsync();
        return (secret, codes.ToList());
    }

    public static string Code(string base32Secret, DateTimeOffset at, int stepOffset = 0)
    {
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        var bits = string.Concat(base32Secret.Replace(" ", string.Empty, StringComparison.Ordinal)
            .Select(c => Convert.ToString(alphabet.IndexOf(char.ToUpperInvariant(c)), 2).PadLeft(5, '0')));
        var key = Enumerable.Range(0, bits.Length / 8).Select(i => Convert.ToByte(bits.Substring(i * 8, 8), 2)).ToArray();
        var counter = new byte[8];
        BinaryPrimitives.WriteInt64BigEndian(counter, (at.ToUnixTimeSeconds() / 30) + stepOffset);
        var hash = HMACSHA1.HashData(key, counter);
        var offset = hash[19] & 0xf;
        var value = ((hash[offset] & 0x7f) << 24) | (hash[offset + 1] << 16) | (hash[offset + 2] << 8) | hash[offset + 3];
        return (value % 1_000_000).ToString("000000", System.Globalization.CultureInfo.InvariantCulture);
    }
}
