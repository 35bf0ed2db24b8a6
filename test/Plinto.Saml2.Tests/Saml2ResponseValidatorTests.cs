using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Security.Cryptography.Xml;
using System.Xml;
using static Plinto.Saml2.Tests.SamlSamples;

namespace Plinto.Saml2.Tests;

/// <summary>The rules of SAML core, bindings and profiles that a valid response must meet, one broken at a time.</summary>
internal sealed class Saml2ResponseValidatorTests
{
    [Test]
    public void A_valid_response_gives_the_subject_session_and_attributes()
    {
        var assertion = Validate(Signed(Xml()));
        Assert.Multiple(() =>
        {
            Assert.That(assertion.Id, Is.EqualTo(AssertionId));
            Assert.That(assertion.NameId, Is.EqualTo("ada@example.test"));
            Assert.That(assertion.NameIdFormat, Is.EqualTo("urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"));
            Assert.That(assertion.SessionIndex, Is.EqualTo("_session-1"));
            Assert.That(assertion.AuthenticationInstant, Is.EqualTo(Now));
            Assert.That(assertion.NotOnOrAfter, Is.EqualTo(Now.AddMinutes(5)));
            Assert.That(assertion.Attributes["groups"], Is.EqualTo(new[] { "engineers", "admins" }));
        });
    }

    [Test]
    public void Signatures_the_connection_requires_must_be_there()
    {
        Assert.Multiple(() =>
        {
            Assert.That(Validate(Signed(Xml(), assertion: true, response: true), Parameters(p => p with { RequireSignedResponse = true })).Id, Is.EqualTo(AssertionId));
            Assert.That(Validate(Signed(Xml(), assertion: false, response: true), Parameters(p => p with { RequireSignedAssertion = false })).Id, Is.EqualTo(AssertionId));
            Assert.That(Refusal(Signed(Xml(), assertion: false, response: true)), Is.EqualTo(Saml2Failure.MissingSignature));
            Assert.That(Refusal(Signed(Xml()), Parameters(p => p with { RequireSignedResponse = true })), Is.EqualTo(Saml2Failure.MissingSignature));
            Assert.That(Refusal(Signed(Xml(), assertion: false), Parameters(p => p with { RequireSignedAssertion = false })), Is.EqualTo(Saml2Failure.MissingSignature));
        });
    }

    [Test]
    public void Only_the_pinned_certificates_verify_and_any_change_breaks_the_signature()
    {
        var tampered = Signed(Xml());
        tampered.GetElementsByTagName("NameID", Saml2Xml.AssertionNamespace)[0]!.InnerText = "admin@example.test";
        Assert.Multiple(() =>
        {
            Assert.That(Refusal(Signed(Xml(), key: OtherCertificate)), Is.EqualTo(Saml2Failure.InvalidSignature), "the KeyInfo's own certificate is not trusted");
            Assert.That(Refusal(tampered), Is.EqualTo(Saml2Failure.InvalidSignature));
            // Rollover: a second configured certificate verifies.
            Assert.That(Validate(Signed(Xml(), key: OtherCertificate), Parameters(p => p with { SigningCertificates = [IdpCertificate, OtherCertificate] })).Id,
                Is.EqualTo(AssertionId));
        });
    }

    [Test]
    public void SHA1_is_refused_unless_the_connection_allows_it()
    {
        var sha1 = Signed(Xml(), signatureMethod: SignedXml.XmlDsigRSASHA1Url, digestMethod: SignedXml.XmlDsigSHA1Url);
        Assert.That(Refusal(sha1), Is.EqualTo(Saml2Failure.SignatureShape));
        Assert.That(Validate(sha1, Parameters(p => p with { AllowSha1 = true })).Id, Is.EqualTo(AssertionId));
    }

    [Test]
    public void ECDSA_signatures_are_refused_by_shape_and_an_EC_certificate_never_verifies_an_RSA_signature()
    {
        var ecdsa = Signed(Xml());
        var method = (XmlElement)ecdsa.GetElementsByTagName("SignatureMethod", SignedXml.XmlDsigNamespaceUrl)[0]!;
        method.SetAttribute("Algorithm", "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256");
        Assert.That(Refusal(ecdsa), Is.EqualTo(Saml2Failure.SignatureShape), "SignedXml cannot verify ECDSA (dotnet/runtime#36103)");

        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var ecCertificate = new CertificateRequest("CN=ec-idp", ec, HashAlgorithmName.SHA256).CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        Assert.That(Refusal(Signed(Xml()), Parameters(p => p with { SigningCertificates = [ecCertificate] })), Is.EqualTo(Saml2Failure.InvalidSignature));
    }

    [Test]
    public void Only_exclusive_canonicalization_and_one_reference_are_accepted()
    {
        Assert.Multiple(() =>
        {
            Assert.That(Refusal(Signed(Xml(), canonicalization: SignedXml.XmlDsigC14NTransformUrl)), Is.EqualTo(Saml2Failure.SignatureShape));
            Assert.That(Refusal(Signed(Xml(), canonicalization: SignedXml.XmlDsigC14NWithCommentsTransformUrl)), Is.EqualTo(Saml2Failure.SignatureShape));
            Assert.That(Refusal(Signed(Xml(), extraReference: true)), Is.EqualTo(Saml2Failure.SignatureShape));
        });
    }

    [Test]
    public void Every_audience_restriction_must_name_us_and_only_bearer_confirmations_count()
    {
        var twoRestrictions = Xml().Replace("</saml:AudienceRestriction>",
            "</saml:AudienceRestriction><saml:AudienceRestriction><saml:Audience>https://other.example.test</saml:Audience></saml:AudienceRestriction>", StringComparison.Ordinal);
        var holderOfKey = Xml().Replace("urn:oasis:names:tc:SAML:2.0:cm:bearer", "urn:oasis:names:tc:SAML:2.0:cm:holder-of-key", StringComparison.Ordinal);
        var withNotBefore = Xml().Replace("<saml:SubjectConfirmationData ", $"<saml:SubjectConfirmationData NotBefore=\"{Now:yyyy-MM-ddTHH:mm:ssZ}\" ", StringComparison.Ordinal);
        Assert.Multiple(() =>
        {
            Assert.That(Refusal(Signed(twoRestrictions)), Is.EqualTo(Saml2Failure.Audience), "SAML core §2.5.1.4: each restriction must be met");
            Assert.That(Refusal(Signed(holderOfKey)), Is.EqualTo(Saml2Failure.SubjectConfirmation));
            Assert.That(Refusal(Signed(withNotBefore)), Is.EqualTo(Saml2Failure.SubjectConfirmation), "profiles §4.1.4.2: a bearer confirmation has no NotBefore");
        });
    }

    [TestCase("status", Saml2Failure.Status)]
    [TestCase("issuer", Saml2Failure.Issuer)]
    [TestCase("audience", Saml2Failure.Audience)]
    [TestCase("recipient", Saml2Failure.SubjectConfirmation)]
    [TestCase("in-response-to", Saml2Failure.InResponseTo)]
    [TestCase("expired", Saml2Failure.SubjectConfirmation)]
    [TestCase("not-yet", Saml2Failure.Expired)]
    public void Each_condition_of_the_profile_is_checked(string broken, Saml2Failure expected)
    {
        var xml = broken switch
        {
            "status" => Xml(status: "urn:oasis:names:tc:SAML:2.0:status:Requester"),
            "issuer" => Xml(issuer: "https://evil.example.test"),
            "audience" => Xml(audience: "https://another-sp.example.test"),
            "recipient" => Xml(recipient: "https://evil.example.test/acs"),
            "in-response-to" => Xml(inResponseTo: "_someone-elses-request"),
            "expired" => Xml(validMinutes: -10, notBeforeMinutes: -20),
            _ => Xml(notBeforeMinutes: 10, validMinutes: 20),
        };
        Assert.That(Refusal(Signed(xml)), Is.EqualTo(expected));
    }

    [Test]
    public void Clock_skew_is_allowed_within_the_configured_bound()
    {
        var justExpired = Signed(Xml(validMinutes: -1, notBeforeMinutes: -6));
        Assert.That(Validate(justExpired).Id, Is.EqualTo(AssertionId), "within the default two minutes");
        Assert.That(Refusal(justExpired, Parameters(p => p with { ClockSkew = TimeSpan.FromSeconds(30) })), Is.EqualTo(Saml2Failure.SubjectConfirmation));
    }

    [Test]
    public void Unsolicited_responses_are_refused_unless_allowed()
    {
        var unsolicited = Signed(Xml().Replace($" InResponseTo=\"{RequestId}\"", string.Empty, StringComparison.Ordinal));
        Assert.That(Refusal(unsolicited, Parameters(p => p with { ExpectedInResponseTo = null })), Is.EqualTo(Saml2Failure.InResponseTo));
        Assert.That(Validate(unsolicited, Parameters(p => p with { ExpectedInResponseTo = null, AllowUnsolicited = true })).Id, Is.EqualTo(AssertionId));
        Assert.That(Refusal(unsolicited), Is.EqualTo(Saml2Failure.InResponseTo), "an unsolicited answer to a request we made");
    }

    [Test]
    public void Destination_must_be_our_ACS()
    {
        var elsewhere = Signed(Xml().Replace($"Destination=\"{Acs}\"", "Destination=\"https://evil.example.test/acs\"", StringComparison.Ordinal), response: true);
        Assert.That(Refusal(elsewhere), Is.EqualTo(Saml2Failure.Destination));
    }
}
