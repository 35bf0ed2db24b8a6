using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Security.Cryptography.Xml;
using System.Text;
using System.Xml;
using static Plinto.Saml2.Tests.SamlSamples;

namespace Plinto.Saml2.Tests;

/// <summary>HTTP-Redirect AuthnRequests, HTTP-POST responses, IdP metadata in, SP metadata out.</summary>
internal sealed class Saml2BindingAndMetadataTests
{
    [Test]
    public void A_signed_redirect_carries_the_request_and_a_signature_over_the_exact_query()
    {
        var request = new Saml2AuthnRequest("_req42", Now, "https://idp.example.test/sso?tenant=1", Sp, Acs, ForceAuthentication: true);
        var url = new Uri(Saml2Bindings.RedirectUrl(request, "opaque-state", IdpCertificate));
        var query = url.Query.TrimStart('?');
        var parts = query.Split('&').Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => Uri.UnescapeDataString(p[1]));

        var xml = Saml2Bindings.Inflate(parts["SAMLRequest"], 10_000);
        var document = Saml2Xml.Load(xml);
        var root = document.DocumentElement!;
        Assert.Multiple(() =>
        {
            Assert.That(url.GetLeftPart(UriPartial.Path), Is.EqualTo("https://idp.example.test/sso"));
            Assert.That(parts["tenant"], Is.EqualTo("1"), "the IdP's own query is kept");
            Assert.That(root.LocalName, Is.EqualTo("AuthnRequest"));
            Assert.That(root.GetAttribute("ID"), Is.EqualTo("_req42"));
            Assert.That(root.GetAttribute("AssertionConsumerServiceURL"), Is.EqualTo(Acs));
            Assert.That(root.GetAttribute("ForceAuthn"), Is.EqualTo("true"));
            Assert.That(parts["RelayState"], Is.EqualTo("opaque-state"));
            Assert.That(parts["SigAlg"], Is.EqualTo(Saml2Bindings.RsaSha256));
        });

        // SAML bindings §3.4.4.1: the signature covers SAMLRequest, RelayState and SigAlg exactly as they were sent.
        var signedPart = query[query.IndexOf("SAMLRequest=", StringComparison.Ordinal)..query.IndexOf("&Signature=", StringComparison.Ordinal)];
        using var key = IdpCertificate.GetRSAPublicKey()!;
        Assert.That(key.VerifyData(Encoding.UTF8.GetBytes(signedPart), Convert.FromBase64String(parts["Signature"]), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1), Is.True);
    }

    [Test]
    public void New_ids_are_unique_NCNames()
    {
        var ids = Enumerable.Range(0, 100).Select(_ => Saml2Bindings.NewId()).ToList();
        Assert.That(ids, Is.Unique);
        Assert.That(ids, Has.All.Matches<string>(id => id.StartsWith('_') && id.Length == 33));
    }

    [Test]
    public void A_posted_response_is_decoded_with_limits()
    {
        var document = Signed(Xml());
        var posted = Convert.ToBase64String(Encoding.UTF8.GetBytes(document.OuterXml));
        Assert.That(Saml2ResponseValidator.Validate(Saml2Bindings.ReadPostedResponse(posted), Parameters()).Id, Is.EqualTo(AssertionId));
        Assert.Multiple(() =>
        {
            Assert.That(Assert.Throws<Saml2ValidationException>(() => Saml2Bindings.ReadPostedResponse("not base64!"))!.Reason, Is.EqualTo(Saml2Failure.Malformed));
            Assert.That(Assert.Throws<Saml2ValidationException>(() => Saml2Bindings.ReadPostedResponse(null))!.Reason, Is.EqualTo(Saml2Failure.Malformed));
            Assert.That(Assert.Throws<Saml2ValidationException>(() => Saml2Bindings.ReadPostedResponse(new string('A', 400_000)))!.Reason, Is.EqualTo(Saml2Failure.TooLarge));
        });
    }

    [Test]
    public void A_deflate_bomb_is_stopped_at_the_limit()
    {
        var bomb = Saml2Bindings.Deflate("<r>" + new string('a', 2_000_000) + "</r>");
        Assert.That(bomb.Length, Is.LessThan(10_000));
        Assert.That(Assert.Throws<Saml2ValidationException>(() => Saml2Bindings.Inflate(bomb, 256 * 1024))!.Reason, Is.EqualTo(Saml2Failure.TooLarge));
    }

    [Test]
    public void IdP_metadata_gives_entity_SSO_endpoints_and_only_signing_certificates()
    {
        var signing = Convert.ToBase64String(IdpCertificate.RawData);
        var encryption = Convert.ToBase64String(OtherCertificate.RawData);
        var metadata = $"""
            <md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="{Idp}">
              <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol" WantAuthnRequestsSigned="true">
                <md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{signing}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
                <md:KeyDescriptor use="encryption"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{encryption}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
                <md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:persistent</md:NameIDFormat>
                <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.example.test/sso"/>
                <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="http://idp.example.test/plain-http"/>
              </md:IDPSSODescriptor>
            </md:EntityDescriptor>
            """;
        var idp = Saml2Metadata.ReadIdentityProvider(metadata);
        Assert.Multiple(() =>
        {
            Assert.That(idp.EntityId, Is.EqualTo(Idp));
            Assert.That(idp.SingleSignOnServices, Is.EqualTo(new Dictionary<string, string> { [Saml2Bindings.HttpRedirect] = "https://idp.example.test/sso" }),
                "plain http endpoints are ignored");
            Assert.That(idp.SigningCertificates.Select(c => c.Thumbprint), Is.EqualTo(new[] { IdpCertificate.Thumbprint }));
            Assert.That(idp.NameIdFormats, Is.EqualTo(new[] { "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent" }));
            Assert.That(idp.WantAuthnRequestsSigned, Is.True);
        });
        Assert.That(Assert.Throws<Saml2ValidationException>(() => Saml2Metadata.ReadIdentityProvider("<!DOCTYPE x [<!ENTITY e \"e\">]>" + metadata))!.Reason,
            Is.EqualTo(Saml2Failure.DocumentTypeDefinition));
        Assert.That(Assert.Throws<Saml2ValidationException>(() => Saml2Metadata.ReadIdentityProvider(metadata, entityId: "https://other.example.test"))!.Reason,
            Is.EqualTo(Saml2Failure.Malformed));
    }

    [Test]
    public void SP_metadata_is_signed_when_there_is_a_certificate()
    {
        var unsigned = Saml2Metadata.WriteServiceProvider(Sp, Acs, signingCertificate: null);
        Assert.That(unsigned, Does.Contain($"entityID=\"{Sp}\"").And.Contain($"Location=\"{Acs}\"").And.Not.Contain("Signature"));

        var document = new XmlDocument { PreserveWhitespace = true };
        document.LoadXml(Saml2Metadata.WriteServiceProvider(Sp, Acs, IdpCertificate));
        var signed = new SignedXml(document.DocumentElement!);
        signed.LoadXml((XmlElement)document.GetElementsByTagName("Signature", Saml2Xml.SignatureNamespace)[0]!);
        Assert.Multiple(() =>
        {
            Assert.That(signed.CheckSignature(IdpCertificate, verifySignatureOnly: true), Is.True);
            Assert.That(document.DocumentElement!.FirstChild!.LocalName, Is.EqualTo("Signature"));
            Assert.That(document.GetElementsByTagName("SPSSODescriptor", Saml2Metadata.MetadataNamespace)[0]!.Attributes!["AuthnRequestsSigned"]!.Value, Is.EqualTo("true"));
        });
    }
}
