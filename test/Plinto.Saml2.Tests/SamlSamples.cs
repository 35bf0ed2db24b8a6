using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Security.Cryptography.Xml;
using System.Xml;

namespace Plinto.Saml2.Tests;

/// <summary>
/// Builds SAML responses the way an IdP does — signed with a real RSA key by <see cref="SignedXml"/> — so that each
/// test can take a valid message and break exactly one thing (or wrap it, for the XSW attacks).
/// </summary>
internal static class SamlSamples
{
    public const string Idp = "https://idp.example.test/metadata";
    public const string Sp = "https://sp.example.test/saml2/c1";
    public const string Acs = "https://sp.example.test/saml2/c1/acs";
    public const string RequestId = "_a1b2c3d4e5f6";
    public const string AssertionId = "_assertion-7f3e";
    public const string ResponseId = "_response-91ab";

    public static readonly DateTimeOffset Now = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);

    public static X509Certificate2 IdpCertificate { get; } = Create("CN=Test IdP");

    public static X509Certificate2 OtherCertificate { get; } = Create("CN=Someone else");

    public static Saml2ValidationParameters Parameters(Func<Saml2ValidationParameters, Saml2ValidationParameters>? change = null)
    {
        var parameters = new Saml2ValidationParameters
        {
            IdentityProviderEntityId = Idp,
            SigningCertificates = [IdpCertificate],
            ServiceProviderEntityId = Sp,
            AssertionConsumerServiceUrl = Acs,
            ExpectedInResponseTo = RequestId,
            Now = Now,
        };
        return change is null ? parameters : change(parameters);
    }

    /// <summary>The unsigned response; <paramref name="nameId"/> is inserted as raw XML (so tests can split it).</summary>
    public static string Xml(string nameId = "ada@example.test", string audience = Sp, string recipient = Acs, string inResponseTo = RequestId,
        string status = "urn:oasis:names:tc:SAML:2.0:status:Success", string issuer = Idp, int validMinutes = 5, int notBeforeMinutes = -1) =>
        $"""
        <samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="{ResponseId}" Version="2.0" IssueInstant="{Time(0)}" Destination="{Acs}" InResponseTo="{inResponseTo}">
          <saml:Issuer>{issuer}</saml:Issuer>
          <samlp:Status><samlp:StatusCode Value="{status}"/></samlp:Status>
          <saml:Assertion ID="{AssertionId}" Version="2.0" IssueInstant="{Time(0)}">
            <saml:Issuer>{issuer}</saml:Issuer>
            <saml:Subject>
              <saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">{nameId}</saml:NameID>
              <saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">
                <saml:SubjectConfirmationData NotOnOrAfter="{Time(validMinutes)}" Recipient="{recipient}" InResponseTo="{inResponseTo}"/>
              </saml:SubjectConfirmation>
            </saml:Subject>
            <saml:Conditions NotBefore="{Time(notBeforeMinutes)}" NotOnOrAfter="{Time(validMinutes)}">
              <saml:AudienceRestriction><saml:Audience>{audience}</saml:Audience></saml:AudienceRestriction>
            </saml:Conditions>
            <saml:AuthnStatement AuthnInstant="{Time(0)}" SessionIndex="_session-1">
              <saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext>
            </saml:AuthnStatement>
            <saml:AttributeStatement>
              <saml:Attribute Name="email"><saml:AttributeValue>ada@example.test</saml:AttributeValue></saml:Attribute>
              <saml:Attribute Name="groups"><saml:AttributeValue>engineers</saml:AttributeValue><saml:AttributeValue>admins</saml:AttributeValue></saml:Attribute>
            </saml:AttributeStatement>
          </saml:Assertion>
        </samlp:Response>
        """;

    /// <summary>Parses and signs (assertion and/or response) as an IdP would; returns the document.</summary>
    public static XmlDocument Signed(string xml, bool assertion = true, bool response = false, X509Certificate2? key = null,
        string signatureMethod = SignedXml.XmlDsigRSASHA256Url, string digestMethod = SignedXml.XmlDsigSHA256Url,
        string canonicalization = SignedXml.XmlDsigExcC14NTransformUrl, bool extraReference = false)
    {
        var document = new XmlDocument { PreserveWhitespace = true };
        document.LoadXml(xml);
        var root = document.DocumentElement!;
        if (assertion)
        {
            var element = (XmlElement)root.GetElementsByTagName("Assertion", Saml2Xml.AssertionNamespace)[0]!;
            Sign(element, key ?? IdpCertificate, signatureMethod, digestMethod, canonicalization, extraReference);
        }

        if (response)
        {
            Sign(root, key ?? IdpCertificate, signatureMethod, digestMethod, canonicalization, extraReference);
        }

        return document;
    }

    /// <summary>What arrives at the ACS: the serialized document, loaded by the library's safe loader.</summary>
    public static XmlDocument Received(XmlDocument document) => Saml2Xml.Load(document.OuterXml);

    public static Saml2Assertion Validate(XmlDocument document, Saml2ValidationParameters? parameters = null) =>
        Saml2ResponseValidator.Validate(Received(document), parameters ?? Parameters());

    public static Saml2Failure Refusal(XmlDocument document, Saml2ValidationParameters? parameters = null) =>
        Assert.Throws<Saml2ValidationException>(() => Validate(document, parameters))!.Reason;

    private static void Sign(XmlElement element, X509Certificate2 key, string signatureMethod, string digestMethod, string canonicalization, bool extraReference)
    {
        var signed = new SignedXml(element) { SigningKey = key.GetRSAPrivateKey() };
        signed.SignedInfo!.CanonicalizationMethod = canonicalization;
        if (extraReference)
        {
            // A second reference (to the Issuer, given an ID): a signature that covers more than its parent.
            var issuerElement = element.ChildNodes.OfType<XmlElement>().First(e => e.LocalName == "Issuer");
            issuerElement.SetAttribute("ID", "_issuer-ref");
            var second = new Reference("#_issuer-ref") { DigestMethod = digestMethod };
            second.AddTransform(new XmlDsigExcC14NTransform());
            signed.AddReference(second);
        }

        signed.SignedInfo.SignatureMethod = signatureMethod;
        var reference = new Reference("#" + element.GetAttribute("ID")) { DigestMethod = digestMethod };
        reference.AddTransform(new XmlDsigEnvelopedSignatureTransform());
        reference.AddTransform(new XmlDsigExcC14NTransform());
        signed.AddReference(reference);
        signed.KeyInfo = new KeyInfo();
        signed.KeyInfo.AddClause(new KeyInfoX509Data(key));
        signed.ComputeSignature();
        // SAML core §5.4.1 / schema: the Signature follows the Issuer.
        var issuer = element.ChildNodes.OfType<XmlElement>().First(e => e.LocalName == "Issuer");
        element.InsertAfter(element.OwnerDocument.ImportNode(signed.GetXml(), true), issuer);
    }

    private static string Time(int minutes) => Now.AddMinutes(minutes).UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture);

    private static X509Certificate2 Create(string subject)
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest(subject, rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
    }
}
