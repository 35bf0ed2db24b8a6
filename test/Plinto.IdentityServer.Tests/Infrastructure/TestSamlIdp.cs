using System.Globalization;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Security.Cryptography.Xml;
using System.Text;
using System.Xml;
using Microsoft.AspNetCore.WebUtilities;

namespace Plinto.IdentityServer.Tests.Infrastructure;

/// <summary>
/// The IdP half of SAML Web SSO for integration tests: publishes metadata, reads the AuthnRequest Plinto sends, and
/// answers with a response signed by a real RSA key — the way an IdP would (interoperability with an independent
/// IdP is the end-to-end suite's job).
/// </summary>
internal sealed class TestSamlIdp
{
    public const string EntityId = "https://idp.example.test/saml";
    public const string SsoUrl = "https://idp.example.test/sso";

    public X509Certificate2 Certificate { get; } = Create();

    public string Metadata() => $"""
        <md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="{EntityId}">
          <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
            <md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{Convert.ToBase64String(Certificate.RawData)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
            <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="{SsoUrl}"/>
          </md:IDPSSODescriptor>
        </md:EntityDescriptor>
        """;

    /// <summary>What the IdP reads from Plinto's redirect: the request ID, the ACS, the SP entity ID and RelayState.</summary>
    public static (string RequestId, string Acs, string SpEntityId, string? RelayState) ReadRequest(Uri redirect)
    {
        Assert.That(redirect.GetLeftPart(UriPartial.Path), Is.EqualTo(SsoUrl));
        var query = QueryHelpers.ParseQuery(redirect.Query);
        using var input = new MemoryStream(Convert.FromBase64String(query["SAMLRequest"]!));
        using var inflate = new DeflateStream(input, CompressionMode.Decompress);
        var document = new XmlDocument();
        document.Load(inflate);
        var request = document.DocumentElement!;
        return (request.GetAttribute("ID"), request.GetAttribute("AssertionConsumerServiceURL"),
            request.GetElementsByTagName("Issuer", "urn:oasis:names:tc:SAML:2.0:assertion")[0]!.InnerText,
            query.TryGetValue("RelayState", out var relay) ? relay.ToString() : null);
    }

    /// <summary>A signed (assertion) response, base64 as posted.</summary>
    /// <param name="requestId">The AuthnRequest answered; null for an unsolicited (IdP-initiated) response.</param>
    public string Response(string? requestId, string acs, string spEntityId, string nameId, IDictionary<string, string[]>? attributes = null,
        DateTimeOffset? now = null, string? assertionId = null)
    {
        var at = now ?? DateTimeOffset.UtcNow;
        string Time(int minutes) => at.AddMinutes(minutes).UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
        var attributeXml = string.Concat((attributes ?? new Dictionary<string, string[]>()).Select(a =>
            $"<saml:Attribute Name=\"{a.Key}\">{string.Concat(a.Value.Select(v => $"<saml:AttributeValue>{v}</saml:AttributeValue>"))}</saml:Attribute>"));
        var xml = $"""
            <samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_r{Guid.NewGuid():N}" Version="2.0" IssueInstant="{Time(0)}" Destination="{acs}"{(requestId is null ? "" : $" InResponseTo=\"{requestId}\"")}>
              <saml:Issuer>{EntityId}</saml:Issuer>
              <samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>
              <saml:Assertion ID="{assertionId ?? "_a" + Guid.NewGuid().ToString("N")}" Version="2.0" IssueInstant="{Time(0)}">
                <saml:Issuer>{EntityId}</saml:Issuer>
                <saml:Subject>
                  <saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent">{nameId}</saml:NameID>
                  <saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">
                    <saml:SubjectConfirmationData NotOnOrAfter="{Time(5)}" Recipient="{acs}"{(requestId is null ? "" : $" InResponseTo=\"{requestId}\"")}/>
                  </saml:SubjectConfirmation>
                </saml:Subject>
                <saml:Conditions NotBefore="{Time(-1)}" NotOnOrAfter="{Time(5)}">
                  <saml:AudienceRestriction><saml:Audience>{spEntityId}</saml:Audience></saml:AudienceRestriction>
                </saml:Conditions>
                <saml:AuthnStatement AuthnInstant="{Time(0)}" SessionIndex="_s1"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:Password</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>
                <saml:AttributeStatement>{attributeXml}</saml:AttributeStatement>
              </saml:Assertion>
            </samlp:Response>
            """;
        var document = new XmlDocument { PreserveWhitespace = true };
        document.LoadXml(xml);
        var assertion = (XmlElement)document.GetElementsByTagName("Assertion", "urn:oasis:names:tc:SAML:2.0:assertion")[0]!;
        var signed = new SignedXml(assertion) { SigningKey = Certificate.GetRSAPrivateKey() };
        signed.SignedInfo!.CanonicalizationMethod = SignedXml.XmlDsigExcC14NTransformUrl;
        signed.SignedInfo.SignatureMethod = SignedXml.XmlDsigRSASHA256Url;
        var reference = new Reference("#" + assertion.GetAttribute("ID")) { DigestMethod = SignedXml.XmlDsigSHA256Url };
        reference.AddTransform(new XmlDsigEnvelopedSignatureTransform());
        reference.AddTransform(new XmlDsigExcC14NTransform());
        signed.AddReference(reference);
        signed.ComputeSignature();
        var issuer = assertion.ChildNodes.OfType<XmlElement>().First(e => e.LocalName == "Issuer");
        assertion.InsertAfter(document.ImportNode(signed.GetXml(), true), issuer);
        return Convert.ToBase64String(Encoding.UTF8.GetBytes(document.OuterXml));
    }

    private static X509Certificate2 Create()
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=Plinto test IdP", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
    }
}
