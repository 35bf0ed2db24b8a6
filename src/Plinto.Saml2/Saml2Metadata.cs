using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Xml;

namespace Plinto.Saml2;

/// <summary>What an IdP's metadata says (SAML metadata §2.4.3): who it is, where to send requests, which keys sign.</summary>
/// <param name="EntityId">The IdP's entity ID.</param>
/// <param name="SingleSignOnServices">SSO endpoints by binding URN.</param>
/// <param name="SigningCertificates">Certificates for signing (KeyDescriptor use="signing" or without use); several during a rollover.</param>
/// <param name="NameIdFormats">The NameID formats it offers.</param>
/// <param name="WantAuthnRequestsSigned">It asks for signed AuthnRequests.</param>
public sealed record Saml2IdentityProviderMetadata(
    string EntityId,
    IReadOnlyDictionary<string, string> SingleSignOnServices,
    IReadOnlyList<X509Certificate2> SigningCertificates,
    IReadOnlyList<string> NameIdFormats,
    bool WantAuthnRequestsSigned);

/// <summary>Reads IdP metadata and writes ours.</summary>
public static class Saml2Metadata
{
    /// <summary>SAML metadata namespace.</summary>
    public const string MetadataNamespace = "urn:oasis:names:tc:SAML:2.0:metadata";

    /// <summary>Reads an EntityDescriptor with an IDPSSODescriptor (or the first such in an EntitiesDescriptor).</summary>
    /// <exception cref="Saml2ValidationException">Unsafe or malformed XML, or no usable IdP description.</exception>
    public static Saml2IdentityProviderMetadata ReadIdentityProvider(string xml, string? entityId = null)
    {
        var document = Saml2Xml.Load(xml, new Saml2XmlLimits(MaxCharacters: 2 * 1024 * 1024, MaxDepth: 32));
        var descriptors = document.GetElementsByTagName("EntityDescriptor", MetadataNamespace).OfType<XmlElement>()
            .Where(e => e.GetElementsByTagName("IDPSSODescriptor", MetadataNamespace).Count > 0
                && (entityId is null || e.GetAttribute("entityID") == entityId))
            .ToList();
        if (descriptors.Count == 0)
        {
            throw new Saml2ValidationException(Saml2Failure.Malformed, "The metadata describes no identity provider" + (entityId is null ? "." : " with that entity ID."));
        }

        if (descriptors.Count > 1)
        {
            throw new Saml2ValidationException(Saml2Failure.Malformed, "The metadata describes several identity providers; name the entity ID to use.");
        }

        var entity = descriptors[0];
        var idp = entity.GetElementsByTagName("IDPSSODescriptor", MetadataNamespace).OfType<XmlElement>().First();
        var services = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var service in idp.ChildNodes.OfType<XmlElement>().Where(e => e.LocalName == "SingleSignOnService" && e.NamespaceURI == MetadataNamespace))
        {
            var location = service.GetAttribute("Location");
            if (Uri.TryCreate(location, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.IsLoopback))
            {
                services.TryAdd(service.GetAttribute("Binding"), location);
            }
        }

        var certificates = new List<X509Certificate2>();
        foreach (var key in idp.ChildNodes.OfType<XmlElement>().Where(e => e.LocalName == "KeyDescriptor" && e.NamespaceURI == MetadataNamespace))
        {
            var use = key.GetAttribute("use");
            if (use.Length > 0 && use != "signing")
            {
                continue;
            }

            foreach (var data in key.GetElementsByTagName("X509Certificate", Saml2Xml.SignatureNamespace).OfType<XmlElement>())
            {
                try
                {
                    certificates.Add(X509CertificateLoader.LoadCertificate(Convert.FromBase64String(data.InnerText.Trim())));
                }
                catch (Exception error) when (error is FormatException or CryptographicException)
                {
                    throw new Saml2ValidationException(Saml2Failure.Malformed, "A signing certificate in the metadata cannot be read.");
                }
            }
        }

        if (certificates.Count == 0 || services.Count == 0)
        {
            throw new Saml2ValidationException(Saml2Failure.Malformed, "The metadata has no signing certificate or no https SingleSignOnService.");
        }

        var formats = idp.ChildNodes.OfType<XmlElement>().Where(e => e.LocalName == "NameIDFormat" && e.NamespaceURI == MetadataNamespace)
            .Select(e => e.InnerText.Trim()).ToList();
        return new Saml2IdentityProviderMetadata(entity.GetAttribute("entityID"), services, certificates, formats,
            idp.GetAttribute("WantAuthnRequestsSigned") == "true");
    }

    /// <summary>
    /// Our SP metadata (SAML metadata §2.4.4): entity ID, the POST ACS, and the signing certificate when there is one —
    /// in which case the EntityDescriptor is signed with it (enveloped, exclusive c14n, RSA-SHA256).
    /// </summary>
    public static string WriteServiceProvider(string entityId, string assertionConsumerServiceUrl, X509Certificate2? signingCertificate, bool wantAssertionsSigned = true)
    {
        var xml = WriteUnsigned(entityId, assertionConsumerServiceUrl, signingCertificate, wantAssertionsSigned);
        if (signingCertificate?.GetRSAPrivateKey() is not { } key)
        {
            return xml;
        }

        using (key)
        {
            var document = new XmlDocument { PreserveWhitespace = true };
            document.LoadXml(xml);
            var root = document.DocumentElement!;
            var id = "_" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(entityId)))[..32];
            root.SetAttribute("ID", id);
            var signed = new System.Security.Cryptography.Xml.SignedXml(root) { SigningKey = key };
            signed.SignedInfo!.CanonicalizationMethod = System.Security.Cryptography.Xml.SignedXml.XmlDsigExcC14NTransformUrl;
            signed.SignedInfo.SignatureMethod = System.Security.Cryptography.Xml.SignedXml.XmlDsigRSASHA256Url;
            var reference = new System.Security.Cryptography.Xml.Reference("#" + id) { DigestMethod = System.Security.Cryptography.Xml.SignedXml.XmlDsigSHA256Url };
            reference.AddTransform(new System.Security.Cryptography.Xml.XmlDsigEnvelopedSignatureTransform());
            reference.AddTransform(new System.Security.Cryptography.Xml.XmlDsigExcC14NTransform());
            signed.AddReference(reference);
            signed.ComputeSignature();
            // SAML metadata schema: ds:Signature is the first child of the EntityDescriptor.
            root.PrependChild(document.ImportNode(signed.GetXml(), true));
            return document.OuterXml;
        }
    }

    private static string WriteUnsigned(string entityId, string assertionConsumerServiceUrl, X509Certificate2? signingCertificate, bool wantAssertionsSigned)
    {
        var text = new StringBuilder();
        using (var writer = XmlWriter.Create(text, new XmlWriterSettings { OmitXmlDeclaration = true, Indent = true }))
        {
            writer.WriteStartElement("md", "EntityDescriptor", MetadataNamespace);
            writer.WriteAttributeString("entityID", entityId);
            writer.WriteStartElement("md", "SPSSODescriptor", MetadataNamespace);
            writer.WriteAttributeString("AuthnRequestsSigned", signingCertificate is null ? "false" : "true");
            writer.WriteAttributeString("WantAssertionsSigned", wantAssertionsSigned ? "true" : "false");
            writer.WriteAttributeString("protocolSupportEnumeration", Saml2Xml.ProtocolNamespace);
            if (signingCertificate is not null)
            {
                writer.WriteStartElement("md", "KeyDescriptor", MetadataNamespace);
                writer.WriteAttributeString("use", "signing");
                writer.WriteStartElement("ds", "KeyInfo", Saml2Xml.SignatureNamespace);
                writer.WriteStartElement("ds", "X509Data", Saml2Xml.SignatureNamespace);
                writer.WriteElementString("ds", "X509Certificate", Saml2Xml.SignatureNamespace, Convert.ToBase64String(signingCertificate.RawData));
                writer.WriteEndElement();
                writer.WriteEndElement();
                writer.WriteEndElement();
            }

            writer.WriteElementString("md", "NameIDFormat", MetadataNamespace, "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent");
            writer.WriteElementString("md", "NameIDFormat", MetadataNamespace, "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress");
            writer.WriteStartElement("md", "AssertionConsumerService", MetadataNamespace);
            writer.WriteAttributeString("Binding", Saml2Bindings.HttpPost);
            writer.WriteAttributeString("Location", assertionConsumerServiceUrl);
            writer.WriteAttributeString("index", "0");
            writer.WriteAttributeString("isDefault", "true");
            writer.WriteEndElement();
            writer.WriteEndElement();
            writer.WriteEndElement();
        }

        return text.ToString();
    }
}
