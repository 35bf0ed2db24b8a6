using System.Globalization;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Xml;

namespace Plinto.Saml2;

/// <summary>
/// The two bindings of the Web Browser SSO profile that Plinto speaks as an SP: AuthnRequest by HTTP-Redirect
/// (SAML bindings §3.4) and Response by HTTP-POST (§3.5).
/// </summary>
public static class Saml2Bindings
{
    /// <summary>SAML bindings URN of HTTP-Redirect.</summary>
    public const string HttpRedirect = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect";

    /// <summary>SAML bindings URN of HTTP-POST.</summary>
    public const string HttpPost = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST";

    /// <summary>RSA-SHA256 (XML-DSig more), the SigAlg of signed redirects.</summary>
    public const string RsaSha256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";

    /// <summary>A fresh request ID: an XML NCName (SAML core §1.3.4) with 128 random bits.</summary>
    public static string NewId() => "_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    /// <summary>
    /// The URL that sends the browser to the IdP with an AuthnRequest (HTTP-Redirect: DEFLATE, base64, URL-encoded;
    /// bindings §3.4.4.1). Signed when <paramref name="signingCertificate"/> has a private key: the signature covers
    /// <c>SAMLRequest=…&amp;RelayState=…&amp;SigAlg=…</c> as sent.
    /// </summary>
    /// <param name="request">The AuthnRequest.</param>
    /// <param name="relayState">Our own opaque state (never a URL the IdP or the user chose), or null.</param>
    /// <param name="signingCertificate">The SP's signing certificate with its RSA key, or null for an unsigned request.</param>
    public static string RedirectUrl(Saml2AuthnRequest request, string? relayState, X509Certificate2? signingCertificate)
    {
        ArgumentNullException.ThrowIfNull(request);
        var query = new StringBuilder("SAMLRequest=").Append(Uri.EscapeDataString(Deflate(request.ToXml())));
        if (relayState is not null)
        {
            query.Append("&RelayState=").Append(Uri.EscapeDataString(relayState));
        }

        if (signingCertificate is not null)
        {
            using var key = signingCertificate.GetRSAPrivateKey() ?? throw new InvalidOperationException("The SP signing certificate has no RSA private key.");
            query.Append("&SigAlg=").Append(Uri.EscapeDataString(RsaSha256));
            var signature = key.SignData(Encoding.UTF8.GetBytes(query.ToString()), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            query.Append("&Signature=").Append(Uri.EscapeDataString(Convert.ToBase64String(signature)));
        }

        var separator = request.Destination.Contains('?', StringComparison.Ordinal) ? '&' : '?';
        return request.Destination + separator + query;
    }

    /// <summary>
    /// Reads the <c>SAMLResponse</c> form field of an HTTP-POST (bindings §3.5.4): base64 of the XML, bounded
    /// before and after decoding, loaded by <see cref="Saml2Xml.Load"/>.
    /// </summary>
    /// <exception cref="Saml2ValidationException">Not base64, too large, or not safe XML.</exception>
    public static XmlDocument ReadPostedResponse(string? samlResponse, Saml2XmlLimits? limits = null)
    {
        limits ??= Saml2XmlLimits.Default;
        if (string.IsNullOrEmpty(samlResponse))
        {
            throw new Saml2ValidationException(Saml2Failure.Malformed, "No SAMLResponse was posted.");
        }

        if (samlResponse.Length > (limits.MaxCharacters / 3 * 4) + 4)
        {
            throw new Saml2ValidationException(Saml2Failure.TooLarge, "The posted SAMLResponse is too large.");
        }

        byte[] bytes;
        try
        {
            bytes = Convert.FromBase64String(samlResponse);
        }
        catch (FormatException)
        {
            throw new Saml2ValidationException(Saml2Failure.Malformed, "The posted SAMLResponse is not base64.");
        }

        string xml;
        try
        {
            xml = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw new Saml2ValidationException(Saml2Failure.Malformed, "The posted SAMLResponse is not UTF-8.");
        }

        return Saml2Xml.Load(xml, limits);
    }

    /// <summary>Raw DEFLATE (RFC 1951) then base64, as HTTP-Redirect requires.</summary>
    internal static string Deflate(string xml)
    {
        using var buffer = new MemoryStream();
        using (var deflate = new DeflateStream(buffer, CompressionLevel.Optimal, leaveOpen: true))
        {
            deflate.Write(Encoding.UTF8.GetBytes(xml));
        }

        return Convert.ToBase64String(buffer.ToArray());
    }

    /// <summary>The inverse of <see cref="Deflate"/>, bounded (a small request could inflate to gigabytes).</summary>
    internal static string Inflate(string base64, int maxCharacters)
    {
        using var input = new MemoryStream(Convert.FromBase64String(base64));
        using var inflate = new DeflateStream(input, CompressionMode.Decompress);
        using var reader = new StreamReader(inflate, Encoding.UTF8);
        var buffer = new char[maxCharacters + 1];
        var read = reader.ReadBlock(buffer, 0, buffer.Length);
        if (read > maxCharacters)
        {
            throw new Saml2ValidationException(Saml2Failure.TooLarge, "The message inflates beyond the size limit.");
        }

        return new string(buffer, 0, read);
    }
}

/// <summary>An AuthnRequest (SAML core §3.4.1) as Plinto sends it: POST binding back to our ACS, our entity ID as Issuer.</summary>
/// <param name="Id">The request ID (keep it to check InResponseTo).</param>
/// <param name="IssueInstant">When it was made.</param>
/// <param name="Destination">The IdP's SSO URL (HTTP-Redirect).</param>
/// <param name="ServiceProviderEntityId">Our entity ID.</param>
/// <param name="AssertionConsumerServiceUrl">Our ACS URL.</param>
/// <param name="NameIdFormat">The NameID format to ask for, or null for the IdP's choice.</param>
/// <param name="ForceAuthentication">Ask the IdP to authenticate again (prompt=login, max_age).</param>
public sealed record Saml2AuthnRequest(
    string Id, DateTimeOffset IssueInstant, string Destination, string ServiceProviderEntityId, string AssertionConsumerServiceUrl,
    string? NameIdFormat = null, bool ForceAuthentication = false)
{
    /// <summary>The request's XML.</summary>
    public string ToXml()
    {
        var settings = new XmlWriterSettings { OmitXmlDeclaration = true, Encoding = new UTF8Encoding(false) };
        var text = new StringBuilder();
        using (var writer = XmlWriter.Create(text, settings))
        {
            writer.WriteStartElement("samlp", "AuthnRequest", Saml2Xml.ProtocolNamespace);
            writer.WriteAttributeString("xmlns", "saml", null, Saml2Xml.AssertionNamespace);
            writer.WriteAttributeString("ID", Id);
            writer.WriteAttributeString("Version", "2.0");
            writer.WriteAttributeString("IssueInstant", IssueInstant.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture));
            writer.WriteAttributeString("Destination", Destination);
            writer.WriteAttributeString("ProtocolBinding", Saml2Bindings.HttpPost);
            writer.WriteAttributeString("AssertionConsumerServiceURL", AssertionConsumerServiceUrl);
            if (ForceAuthentication)
            {
                writer.WriteAttributeString("ForceAuthn", "true");
            }

            writer.WriteElementString("saml", "Issuer", Saml2Xml.AssertionNamespace, ServiceProviderEntityId);
            writer.WriteStartElement("samlp", "NameIDPolicy", Saml2Xml.ProtocolNamespace);
            if (NameIdFormat is not null)
            {
                writer.WriteAttributeString("Format", NameIdFormat);
            }

            writer.WriteAttributeString("AllowCreate", "true");
            writer.WriteEndElement();
            writer.WriteEndElement();
        }

        return text.ToString();
    }
}
