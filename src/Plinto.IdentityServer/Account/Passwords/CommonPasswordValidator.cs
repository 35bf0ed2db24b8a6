using System.Collections.Frozen;
using Microsoft.AspNetCore.Identity;

namespace Plinto.IdentityServer.Account.Passwords;

/// <summary>
/// Refuses passwords from the shipped list of the 10,000 most common ones (NIST SP 800-63B §3.1.1.2:
/// compare against commonly-used values). Compared case-insensitively so "Password1" is caught too.
/// </summary>
internal sealed class CommonPasswordValidator : IPasswordValidator<PlintoUser>
{
    private static readonly Lazy<FrozenSet<string>> CommonPasswords = new(Load);

    public Task<IdentityResult> ValidateAsync(UserManager<PlintoUser> manager, PlintoUser user, string? password)
    {
        if (password is not null && IsCommon(password))
        {
            return Task.FromResult(IdentityResult.Failed(new IdentityError
            {
                Code = "PasswordTooCommon",
                Description = "This password is one of the most commonly used passwords. Choose a less predictable one.",
            }));
        }

        return Task.FromResult(IdentityResult.Success);
    }

    public static bool IsCommon(string password) => CommonPasswords.Value.Contains(password);

    private static FrozenSet<string> Load()
    {
        using var stream = typeof(CommonPasswordValidator).Assembly
            .GetManifestResourceStream("Plinto.IdentityServer.common-passwords.txt")
            ?? throw new InvalidOperationException("The common password list is missing from the build.");
        using var reader = new StreamReader(stream);
        var set = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        while (reader.ReadLine() is { } line)
        {
            if (line.Length > 0 && !line.StartsWith('#'))
            {
                set.Add(line);
            }
        }

        return set.ToFrozenSet(StringComparer.OrdinalIgnoreCase);
    }
}

/// <summary>NIST SP 800-63B §3.1.1.2: at least 8 characters, allow at least 64, never truncate.</summary>
internal sealed class PasswordLengthValidator : IPasswordValidator<PlintoUser>
{
    public const int MaximumLength = 256;

    public Task<IdentityResult> ValidateAsync(UserManager<PlintoUser> manager, PlintoUser user, string? password) =>
        Task.FromResult(password is { Length: > MaximumLength }
            ? IdentityResult.Failed(new IdentityError
            {
                Code = "PasswordTooLong",
                Description = $"Passwords can be at most {MaximumLength} characters long.",
            })
            : IdentityResult.Success);
}
