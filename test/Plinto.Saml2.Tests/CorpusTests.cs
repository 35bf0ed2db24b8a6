using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using static Plinto.Saml2.Tests.SamlSamples;

namespace Plinto.Saml2.Tests;

/// <summary>
/// Golden files: signed responses and the attack corpus as files (Corpus/), validated with the certificate next to
/// them. They were written by <see cref="The_corpus_can_be_regenerated"/> (PLINTO_WRITE_CORPUS=1); only the public certificate is kept.
/// </summary>
internal sealed class CorpusTests
{
    private static readonly string Folder = Path.Combine(AppContext.BaseDirectory, "Corpus");

    private static X509Certificate2 Certificate => X509Certificate2.CreateFromPem(File.ReadAllText(Path.Combine(Folder, "idp.crt")));

    private static Saml2ValidationParameters CorpusParameters(bool signedResponse = false) =>
        Parameters(p => p with { SigningCertificates = [Certificate], RequireSignedResponse = signedResponse });

    public static IEnumerable<string> Valid() => Directory.EnumerateFiles(Path.Combine(AppContext.BaseDirectory, "Corpus", "valid"), "*.xml").Select(Path.GetFileName)!;

    public static IEnumerable<string> Attacks() => File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "Corpus", "attacks", "reasons.txt")).Select(l => l.Split(':')[0]);

    [TestCaseSource(nameof(Valid))]
    public void A_golden_response_is_accepted(string file)
    {
        var document = Saml2Xml.Load(File.ReadAllText(Path.Combine(Folder, "valid", file)));
        var assertion = Saml2ResponseValidator.Validate(document, CorpusParameters(signedResponse: file.Contains("response", StringComparison.Ordinal)));
        Assert.That(assertion.NameId, Is.EqualTo("ada@example.test"));
    }

    [TestCaseSource(nameof(Attacks))]
    public void A_corpus_attack_is_refused_for_its_reason(string name)
    {
        var expected = File.ReadAllLines(Path.Combine(Folder, "attacks", "reasons.txt")).Single(l => l.StartsWith(name + ":", StringComparison.Ordinal))
            .Split(':')[1].Split(',').Select(Enum.Parse<Saml2Failure>).ToList();
        var refusal = Assert.Throws<Saml2ValidationException>(() =>
            Saml2ResponseValidator.Validate(Saml2Xml.Load(File.ReadAllText(Path.Combine(Folder, "attacks", name + ".xml"))), CorpusParameters()))!;
        Assert.That(expected, Does.Contain(refusal.Reason), refusal.Message);
    }

    public static IEnumerable<string> ParserAttacks() =>
        Directory.EnumerateFiles(Path.Combine(AppContext.BaseDirectory, "Corpus", "parser"), "*.xml").Select(Path.GetFileName)!;

    /// <summary>Attacks on the parser (the expected reason is the file name's prefix): refused before anything is read.</summary>
    [TestCaseSource(nameof(ParserAttacks))]
    public void A_parser_attack_is_refused_while_loading(string file)
    {
        var expected = Enum.Parse<Saml2Failure>(file[..file.IndexOf("--", StringComparison.Ordinal)]);
        var refusal = Assert.Throws<Saml2ValidationException>(() => Saml2Xml.Load(File.ReadAllText(Path.Combine(Folder, "parser", file))))!;
        Assert.That(refusal.Reason, Is.EqualTo(expected));
    }

    [Test]
    public void The_corpus_holds_every_attack_of_the_checklist() =>
        Assert.That(Attacks(), Is.EquivalentTo(SamlAttacks.All.Select(a => a.Name)));

    /// <summary>
    /// Regenerates the corpus with a fresh key into a temporary folder and checks it the same way; with
    /// PLINTO_WRITE_CORPUS=1 it is written into the source tree instead (then commit the files).
    /// </summary>
    [Test]
    public void The_corpus_can_be_regenerated()
    {
        var write = Environment.GetEnvironmentVariable("PLINTO_WRITE_CORPUS") == "1";
        var target = write ? Path.Combine(SourceFolder(), "Corpus") : Directory.CreateTempSubdirectory("plinto-corpus-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(target, "valid"));
            Directory.CreateDirectory(Path.Combine(target, "attacks"));
            using var rsa = RSA.Create(2048);
            using var key = new CertificateRequest("CN=Plinto corpus IdP", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
                .CreateSelfSigned(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2036, 1, 1, 0, 0, 0, TimeSpan.Zero));
            File.WriteAllText(Path.Combine(target, "idp.crt"), key.ExportCertificatePem() + "\n");
            File.WriteAllText(Path.Combine(target, "valid", "assertion-signed.xml"), Signed(Xml(), key: key).OuterXml);
            File.WriteAllText(Path.Combine(target, "valid", "response-and-assertion-signed.xml"), Signed(Xml(), response: true, key: key).OuterXml);
            var reasons = new List<string>();
            foreach (var attack in SamlAttacks.All)
            {
                File.WriteAllText(Path.Combine(target, "attacks", attack.Name + ".xml"), attack.Build(key).OuterXml);
                reasons.Add($"{attack.Name}:{string.Join(',', attack.Reasons)}");
            }

            File.WriteAllLines(Path.Combine(target, "attacks", "reasons.txt"), reasons);

            // The files as written, read back: golden ones pass, every attack is refused for its reason.
            var parameters = Parameters(p => p with { SigningCertificates = [X509Certificate2.CreateFromPem(File.ReadAllText(Path.Combine(target, "idp.crt")))] });
            Assert.That(Saml2ResponseValidator.Validate(Saml2Xml.Load(File.ReadAllText(Path.Combine(target, "valid", "assertion-signed.xml"))), parameters).NameId,
                Is.EqualTo("ada@example.test"));
            foreach (var attack in SamlAttacks.All)
            {
                var refusal = Assert.Throws<Saml2ValidationException>(() =>
                    Saml2ResponseValidator.Validate(Saml2Xml.Load(File.ReadAllText(Path.Combine(target, "attacks", attack.Name + ".xml"))), parameters))!;
                Assert.That(attack.Reasons, Does.Contain(refusal.Reason), attack.Name);
            }
        }
        finally
        {
            if (!write)
            {
                Directory.Delete(target, recursive: true);
            }
        }
    }

    private static string SourceFolder([CallerFilePath] string source = "") => Path.GetDirectoryName(source)!;
}
