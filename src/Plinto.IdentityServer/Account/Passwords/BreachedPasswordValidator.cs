using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace Plinto.IdentityServer.Account.Passwords;

/// <summary>Bound to <c>Plinto:Passwords</c>.</summary>
internal sealed class PasswordPolicyOptions
{
    public const string Section = "Plinto:Passwords";

    /// <summary>
    /// An offline breached-password corpus in Have I Been Pwned's SHA-1 format, checked locally (no password or
    /// hash prefix ever leaves the server): either one file of <c>HASH:COUNT</c> lines ordered by hash (the
    /// "ordered by hash" download), or a folder of range files named by the 5-character prefix
    /// (<c>21BD1.txt</c>, lines <c>SUFFIX:COUNT</c>, what the range API returns). Null: no check.
    /// </summary>
    public string? BreachedPasswordsPath { get; set; }

    /// <summary>Refuse a password seen in at least this many breaches.</summary>
    public int BreachedMinimumCount { get; set; } = 1;
}

/// <summary>
/// NIST SP 800-63B §3.1.1.2: compare new passwords against values known from previous breaches. A sorted file
/// is binary-searched on disk (the full corpus is tens of gigabytes; nothing is loaded into memory).
/// </summary>
internal sealed class BreachedPasswordValidator(IOptions<PasswordPolicyOptions> options) : IPasswordValidator<PlintoUser>
{
    public Task<IdentityResult> ValidateAsync(UserManager<PlintoUser> manager, PlintoUser user, string? password)
    {
        var path = options.Value.BreachedPasswordsPath;
        if (string.IsNullOrEmpty(password) || string.IsNullOrEmpty(path))
        {
            return Task.FromResult(IdentityResult.Success);
        }

        var count = CountForHash(Convert.ToHexString(SHA1.HashData(Encoding.UTF8.GetBytes(password))));
        return Task.FromResult(count >= options.Value.BreachedMinimumCount
            ? IdentityResult.Failed(new IdentityError
            {
                Code = "PasswordBreached",
                Description = "This password appeared in a data breach, so attackers try it first. Choose a different one.",
            })
            : IdentityResult.Success);
    }

    /// <summary>How many breaches the corpus counts for this upper-case hex SHA-1 (0 when absent).</summary>
    public long CountForHash(string hash)
    {
        var path = options.Value.BreachedPasswordsPath!;
        return Directory.Exists(path)
            ? CountInRangeFile(Path.Combine(path, hash[..5] + ".txt"), hash[5..])
            : CountInSortedFile(path, hash);
    }

    private static long CountInRangeFile(string file, string suffix)
    {
        if (!File.Exists(file))
        {
            return 0;
        }

        foreach (var line in File.ReadLines(file))
        {
            if (line.Length > suffix.Length && line[suffix.Length] == ':' && line.StartsWith(suffix, StringComparison.OrdinalIgnoreCase))
            {
                return long.TryParse(line.AsSpan(suffix.Length + 1), out var count) ? count : 1;
            }
        }

        return 0;
    }

    /// <summary>Binary search over byte offsets; each probe reads the first whole line after the offset.</summary>
    private static long CountInSortedFile(string file, string hash)
    {
        using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 4096, FileOptions.RandomAccess);
        long low = 0, high = stream.Length;
        while (low < high)
        {
            var middle = low + ((high - low) / 2);
            var (line, lineStart) = ReadLineAfter(stream, middle);
            if (line is null)
            {
                high = middle;
                continue;
            }

            var comparison = string.Compare(line.Length >= 40 ? line[..40] : line, hash, StringComparison.OrdinalIgnoreCase);
            if (comparison == 0)
            {
                return Count(line);
            }

            if (comparison < 0)
            {
                low = lineStart + line.Length + 1;
            }
            else
            {
                high = middle;
            }
        }

        return 0;
    }

    private static (string? Line, long Start) ReadLineAfter(FileStream stream, long offset)
    {
        // The first line that starts at or after the offset: if the byte before it ends a line, it starts here.
        stream.Position = Math.Max(0, offset - 1);
        if (offset > 0 && stream.ReadByte() != '\n')
        {
            int b;
            while ((b = stream.ReadByte()) != -1 && b != '\n')
            {
            }

            if (b == -1)
            {
                return (null, stream.Length);
            }
        }

        return ReadLineAt(stream, stream.Position);
    }

    private static (string? Line, long Start) ReadLineAt(FileStream stream, long start)
    {
        stream.Position = start;
        var bytes = new List<byte>(64);
        int b;
        while ((b = stream.ReadByte()) != -1 && b != '\n')
        {
            if (b != '\r')
            {
                bytes.Add((byte)b);
            }

            if (bytes.Count > 256)
            {
                break;
            }
        }

        return bytes.Count == 0 ? (null, start) : (Encoding.ASCII.GetString([.. bytes]), start);
    }

    private static long Count(string line)
    {
        var colon = line.IndexOf(':', StringComparison.Ordinal);
        return colon > 0 && long.TryParse(line.AsSpan(colon + 1), out var count) ? count : 1;
    }
}
