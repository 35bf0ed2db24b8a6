using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Plinto.IdentityServer.Account.Passwords;
using Plinto.IdentityServer.Data;
using Plinto.IdentityServer.Tests.Infrastructure;

namespace Plinto.IdentityServer.Tests.Account;

/// <summary>The offline breached-password corpus (Have I Been Pwned SHA-1 formats), sorted file and range folder.</summary>
internal sealed class BreachedPasswordTests
{
    private static readonly string[] Breached = ["correct horse battery staple 42x", "Summer2024!!", "letmein-please-123", "zzzz-last-in-order?"];
    private string folder = null!;
    private string sortedFile = null!;
    private string rangeFolder = null!;

    [OneTimeSetUp]
    public void WriteCorpus()
    {
        folder = Directory.CreateTempSubdirectory("plinto-breached-").FullName;
        // Thousands of unrelated hashes around the breached ones, so the search really has to search.
        var lines = Enumerable.Range(0, 5000).Select(i => $"{Sha1("noise-" + i)}:{i % 7 + 1}")
            .Concat(Breached.Select((p, i) => $"{Sha1(p)}:{(i == 1 ? 3 : 12000)}"))
            .Append($"{new string('0', 40)}:5") // the first line of the file
            .Append($"{new string('F', 40)}:5") // the last
            .Order(StringComparer.Ordinal)
            .ToList();
        sortedFile = Path.Combine(folder, "pwned-passwords-sha1-ordered-by-hash.txt");
        File.WriteAllText(sortedFile, string.Join("\r\n", lines) + "\r\n");

        rangeFolder = Directory.CreateDirectory(Path.Combine(folder, "ranges")).FullName;
        foreach (var range in lines.GroupBy(l => l[..5]))
        {
            File.WriteAllLines(Path.Combine(rangeFolder, range.Key + ".txt"), range.Select(l => l[5..]));
        }
    }

    [OneTimeTearDown]
    public void Delete() => Directory.Delete(folder, recursive: true);

    [TestCase(false)]
    [TestCase(true)]
    public async Task Breached_passwords_are_refused_and_others_accepted(bool ranges)
    {
        var validator = Validator(ranges ? rangeFolder : sortedFile, minimumCount: 1);
        foreach (var password in Breached)
        {
            Assert.That((await validator.ValidateAsync(null!, null!, password)).Succeeded, Is.False, password);
        }

        foreach (var password in new[] { "a never breached passphrase 1", "noise-5000", "Summer2024!" })
        {
            Assert.That((await validator.ValidateAsync(null!, null!, password)).Succeeded, Is.True, password);
        }
    }

    [Test]
    public void The_first_and_last_lines_of_a_sorted_file_are_found()
    {
        // No password hashes to all zeros; check the search itself through the internal lookup of a hash.
        var validator = Validator(sortedFile, minimumCount: 1);
        Assert.That(Find(validator, new string('0', 40)), Is.EqualTo(5));
        Assert.That(Find(validator, new string('F', 40)), Is.EqualTo(5));
        Assert.That(Find(validator, new string('7', 40)), Is.Zero);
    }

    [Test]
    public async Task A_threshold_lets_rarely_breached_passwords_through()
    {
        var validator = Validator(sortedFile, minimumCount: 10);
        Assert.That((await validator.ValidateAsync(null!, null!, "Summer2024!!")).Succeeded, Is.True, "seen 3 times, below the threshold");
        Assert.That((await validator.ValidateAsync(null!, null!, "letmein-please-123")).Succeeded, Is.False);
    }

    [Test]
    public async Task Sign_up_refuses_a_breached_password_with_a_clear_message()
    {
        await using var factory = await PlintoFactory.CreateAsync(DatabaseProvider.Sqlite,
            new Dictionary<string, string?> { ["Plinto:Passwords:BreachedPasswordsPath"] = sortedFile });
        var browser = new Browser(factory.CreateClient());
        var (_, signUp) = await browser.OpenAsync("/account/signup");
        var response = await browser.SubmitAsync(signUp, new Dictionary<string, string>
        {
            ["Input.Email"] = UniqueUser.Email("breached"),
            ["Input.Password"] = "letmein-please-123",
        });
        var page = await Browser.ReadPageAsync(response);
        Assert.That(page.QuerySelector("[role=alert]")!.TextContent, Does.Contain("appeared in a data breach"));
    }

    [Test]
    public async Task A_missing_corpus_stops_start_up_naming_the_key()
    {
        await using var factory = await PlintoFactory.CreateAsync(DatabaseProvider.Sqlite,
            new Dictionary<string, string?> { ["Plinto:Passwords:BreachedPasswordsPath"] = Path.Combine(folder, "absent.txt") });
        Assert.That(Assert.Catch(() => _ = factory.Server)!.ToString(), Does.Contain("Plinto:Passwords:BreachedPasswordsPath"));
    }

    private static BreachedPasswordValidator Validator(string path, int minimumCount) =>
        new(Options.Create(new PasswordPolicyOptions { BreachedPasswordsPath = path, BreachedMinimumCount = minimumCount }));

    private static long Find(BreachedPasswordValidator validator, string hash) => validator.CountForHash(hash);

    private static string Sha1(string password) => Convert.ToHexString(SHA1.HashData(Encoding.UTF8.GetBytes(password)));
}
