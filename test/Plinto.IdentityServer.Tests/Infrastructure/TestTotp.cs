using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Plinto.IdentityServer.Tests.Infrastructure;

/// <summary>
/// An authenticator app, written independently of Plinto's own TOTP code (RFC 6238 with SHA-1, 30 s, 6 digits),
/// so that a bug there cannot make its own tests pass.
/// </summary>
internal static class TestTotp
{
    public static string Code(string base32Secret, DateTimeOffset at, int stepOffset = 0)
    {
        var key = FromBase32(base32Secret.Replace(" ", string.Empty, StringComparison.Ordinal));
        var counter = new byte[8];
        BinaryPrimitives.WriteInt64BigEndian(counter, (at.ToUnixTimeSeconds() / 30) + stepOffset);
        var hash = HMACSHA1.HashData(key, counter);
        var offset = hash[19] & 0xf;
        var value = ((hash[offset] & 0x7f) << 24) | (hash[offset + 1] << 16) | (hash[offset + 2] << 8) | hash[offset + 3];
        return (value % 1_000_000).ToString("000000", System.Globalization.CultureInfo.InvariantCulture);
    }

    private static byte[] FromBase32(string text)
    {
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        var bits = string.Concat(text.TrimEnd('=').Select(c => Convert.ToString(alphabet.IndexOf(char.ToUpperInvariant(c)), 2).PadLeft(5, '0')));
        return Enumerable.Range(0, bits.Length / 8).Select(i => Convert.ToByte(bits.Substring(i * 8, 8), 2)).ToArray();
    }
}
