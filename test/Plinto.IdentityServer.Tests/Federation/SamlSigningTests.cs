using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Security.Cryptography.Xml;
using System.Xml;
using Microsoft.AspNetCore.WebUtilities;
using Plinto.IdentityServer.Data;
using Plinto.IdentityServer.Tests.Infrastructure;

namespace Plinto.IdentityServer.Tests.Federation;

/// <summary>With an SP certificate configured, the SP metadata and the AuthnRequests are signed with it.</summary>
internal sealed class SamlSigningTests(DatabaseProvider provider) : DatabaseFixture(provider)
{
    private readonly string folder = Directory.CreateTempSubdirectory("plinto-sp-cert-").FullName;
    private X509Certificate2? certificate;

    protected override IDictionary<string, string?> Settings
    {
        get
        {
            using var rsa = RSA.Create(2048);
            certificate = new CertificateRequest("CN=Plinto SP", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
                .CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
            File.WriteAllText(Path.Combine(folder, "sp.crt"), certificate.ExportCertificatePem());
            File.WriteAllText(Path.Combine(folder, "sp.key"), rsa.ExportPkcs8PrivateKeyPem());
            return new Dictionary<string, string?>
            {
                ["Plinto:Saml:SigningCertificateFile"] = Path.Combine(folder, "sp.crt"),
                ["Plinto:Saml:SigningKeyFile"] = Path.Combine(folder, "sp.key"),
            };
        }
    }

    [OneTimeTearDown]
    public void RemoveFolder() => Directory.Delete(folder, recursive: true);

    [Test]
    public async Task Metadata_and_AuthnRequests_are_signed_with_the_SP_certificate()
    {
        var api = Factory.CreateClient();
        var platform = await AdminApiClient.AutomationTokenAsync(api);
        var org = await AdminApiClient.CreateOrganizationAsync(api, platform, AdminApiClient.NewSlug("signed"), ownerUserId: null);
        var connection = await AdminApiClient.ExpectAsync(api, HttpMethod.Post, $"/api/organizations/{org}/saml-connections", platform,
            new { metadataXml = new TestSamlIdp().Metadata() });
        var id = connection.GetProperty("id").GetString();

        var document = new XmlDocument { PreserveWhitespace = true };
        document.LoadXml(await api.GetStringAsync($"/saml2/{id}/metadata"));
        var signed = new SignedXml(document.DocumentElement!);
        signed.LoadXml((XmlElement)document.GetElementsByTagName("Signature", "http://www.w3.org/2000/09/xmldsig#")[0]!);
        Assert.That(signed.CheckSignature(certificate!, verifySignatureOnly: true), Is.True);

        var browser = NewBrowser();
        var redirect = browser.RedirectTarget(await browser.GetAsync($"/saml2/{id}/signin?returnUrl=/"));
        var raw = redirect.Query.TrimStart('?');
        var query = QueryHelpers.ParseQuery(redirect.Query);
        var signedPart = raw[..raw.IndexOf("&Signature=", StringComparison.Ordinal)];
        using var key = certificate!.GetRSAPublicKey()!;
        Assert.That(key.VerifyData(System.Text.Encoding.UTF8.GetBytes(signedPart), Convert.FromBase64String(query["Signature"]!),
            HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1), Is.True, "SAML bindings §3.4.4.1 signature over the query");
    }
}
