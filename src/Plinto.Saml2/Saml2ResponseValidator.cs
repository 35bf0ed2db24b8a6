using System.Security.Cryptography;
using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using System.Security.Cryptography.Xml;
using System.Xml;

namespace Plinto.Saml2;

/// <summary>What the validator needs to know about the connection and this browser's request.</summary>
public sealed record Saml2ValidationParameters
{
    /// <summary>The IdP's entity ID: the Issuer of the response and the assertion.</summary>
    public required string IdentityProviderEntityId { get; init; }

    /// <summary>The IdP's signing certificates (several during a rollover). Keys inside the message are never used.</summary>
    public required IReadOnlyList<X509Certificate2> SigningCertificates { get; init; }

    /// <summary>Our SP entity ID: every AudienceRestriction must name it.</summary>
    public required string ServiceProviderEntityId { get; init; }

    /// <summary>Our ACS URL: the Destination and the bearer Recipient.</summary>
    public required string AssertionConsumerServiceUrl { get; init; }

    /// <summary>The ID of the AuthnRequest this browser sent; null for an unsolicited (IdP-initiated) response.</summary>
    public string? ExpectedInResponseTo { get; init; }

    /// <summary>Accept an unsolicited response (off by default: it cannot be bound to a browser).</summary>
    public bool AllowUnsolicited { get; init; }

    /// <summary>The Response element must be signed.</summary>
    public bool RequireSignedResponse { get; init; }

    /// <summary>The Assertion element must be signed (on by default).</summary>
    public bool RequireSignedAssertion { get; init; } = true;

    /// <summary>Allowed clock difference with the IdP.</summary>
    public TimeSpan ClockSkew { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Accept RSA-SHA1 / SHA-1 digests (off: only for IdPs that cannot do better).</summary>
    public bool AllowSha1 { get; init; }

    /// <summary>The current time.</summary>
    public required DateTimeOffset Now { get; init; }
}

/// <summary>The validated content of an assertion.</summary>
/// <param name="Id">The assertion's ID (for the replay cache).</param>
/// <param name="NotOnOrAfter">Until when the assertion could be replayed (keep its ID in the cache until then).</param>
/// <param name="NameId">The subject's NameID, exactly as sent.</param>
/// <param name="NameIdFormat">Its Format, if any.</param>
/// <param name="SessionIndex">The IdP session, if any.</param>
/// <param name="AuthenticationInstant">When the person authenticated at the IdP.</param>
/// <param name="Attributes">Attribute values by attribute Name.</param>
public sealed record Saml2Assertion(
    string Id,
    DateTimeOffset NotOnOrAfter,
    string NameId,
    string? NameIdFormat,
    string? SessionIndex,
    DateTimeOffset? AuthenticationInstant,
    IReadOnlyDictionary<string, IReadOnlyList<string>> Attributes);

/// <summary>
/// Validates a SAML 2.0 Response for the Web Browser SSO profile (SAML profiles §4.1.4): one document, one assertion
/// (a direct child of the Response), signatures checked with the pinned certificates only, each with exactly one
/// <c>#ID</c> reference that must resolve to the very element it signs (the one then read), exclusive c14n and
/// enveloped-signature only, allowlisted algorithms, unique IDs, then Issuer, Status, Destination, InResponseTo,
/// bearer SubjectConfirmation, Conditions and Audience. Failures carry a <see cref="Saml2Failure"/> reason.
/// </summary>
public static class Saml2ResponseValidator
{
    private const string Success = "urn:oasis:names:tc:SAML:2.0:status:Success";
    private const string Bearer = "urn:oasis:names:tc:SAML:2.0:cm:bearer";

    private static readonly string[] SignatureAlgorithms =
    [
        // RSA only: System.Security.Cryptography.Xml has no ECDSA signature description, so an ECDSA signature could
        // not be verified (dotnet/runtime#36103); it is refused by shape instead.
        SignedXml.XmlDsigRSASHA256Url, SignedXml.XmlDsigRSASHA384Url, SignedXml.XmlDsigRSASHA512Url,
    ];

    private static readonly string[] DigestAlgorithms = [SignedXml.XmlDsigSHA256Url, SignedXml.XmlDsigSHA384Url, SignedXml.XmlDsigSHA512Url];

    /// <summary>Validates and returns the assertion.</summary>
    /// <exception cref="Saml2ValidationException">The first rule broken.</exception>
    public static Saml2Assertion Validate(XmlDocument document, Saml2ValidationParameters parameters)
    {
        ArgumentNullException.ThrowIfNull(document);
        ArgumentNullException.ThrowIfNull(parameters);
        var response = document.DocumentElement;
        if (response is null || !Is(response, "Response", Saml2Xml.ProtocolNamespace))
        {
            throw Fail(Saml2Failure.Malformed, "The message is not a SAML 2.0 Response.");
        }

        RejectDuplicateIds(document);
        var assertions = Descendants(response, "Assertion", Saml2Xml.AssertionNamespace).ToList();
        if (assertions.Count != 1 || Descendants(response, "EncryptedAssertion", Saml2Xml.AssertionNamespace).Any())
        {
            throw Fail(Saml2Failure.AssertionCount, "The response must contain exactly one (unencrypted) assertion.");
        }

        var assertion = assertions[0];
        if (assertion.ParentNode != response)
        {
            // SAML core §3.3.3: assertions are children of the Response; anywhere else is a wrapping attempt.
            throw Fail(Saml2Failure.AssertionCount, "The assertion is not a direct child of the response.");
        }

        var responseSigned = VerifySignature(response, parameters);
        var assertionSigned = VerifySignature(assertion, parameters);
        if ((parameters.RequireSignedResponse && !responseSigned) || (parameters.RequireSignedAssertion && !assertionSigned)
            || (!responseSigned && !assertionSigned))
        {
            throw Fail(Saml2Failure.MissingSignature, "A signature the connection requires is missing.");
        }

        CheckResponse(response, responseSigned, parameters);
        return ReadAssertion(assertion, parameters);
    }

    private static void CheckResponse(XmlElement response, bool signed, Saml2ValidationParameters parameters)
    {
        var status = Child(Child(response, "Status", Saml2Xml.ProtocolNamespace), "StatusCode", Saml2Xml.ProtocolNamespace);
        if (status?.GetAttribute("Value") != Success)
        {
            throw Fail(Saml2Failure.Status, "The IdP did not report success.");
        }

        if (Child(response, "Issuer", Saml2Xml.AssertionNamespace) is { } issuer && issuer.InnerText != parameters.IdentityProviderEntityId)
        {
            throw Fail(Saml2Failure.Issuer, "The response's Issuer is not the connection's IdP.");
        }

        // SAML bindings §3.5.5.2: a signed response sent by HTTP-POST must carry Destination, equal to where it arrived.
        var destination = response.GetAttributeNode("Destination")?.Value;
        if ((destination is null && signed) || (destination is not null && destination != parameters.AssertionConsumerServiceUrl))
        {
            throw Fail(Saml2Failure.Destination, "The response's Destination is not this connection's ACS URL.");
        }

        CheckInResponseTo(response.GetAttributeNode("InResponseTo")?.Value, parameters);
    }

    private static Saml2Assertion ReadAssertion(XmlElement assertion, Saml2ValidationParameters parameters)
    {
        var id = assertion.GetAttribute("ID");
        if (Child(assertion, "Issuer", Saml2Xml.AssertionNamespace)?.InnerText != parameters.IdentityProviderEntityId)
        {
            throw Fail(Saml2Failure.Issuer, "The assertion's Issuer is not the connection's IdP.");
        }

        var subject = Child(assertion, "Subject", Saml2Xml.AssertionNamespace) ?? throw Fail(Saml2Failure.NameId, "The assertion has no Subject.");
        var nameIdElement = Child(subject, "NameID", Saml2Xml.AssertionNamespace) ?? throw Fail(Saml2Failure.NameId, "The assertion has no NameID.");
        var nameId = ExactText(nameIdElement) ?? throw Fail(Saml2Failure.NameId, "The NameID is empty or split by comments, processing instructions or CDATA.");
        if (nameId.Length == 0)
        {
            throw Fail(Saml2Failure.NameId, "The NameID is empty.");
        }

        var now = parameters.Now;
        var skew = parameters.ClockSkew;

        // SAML profiles §4.1.4.2: a bearer SubjectConfirmation for our ACS, still valid, bound to our request.
        DateTimeOffset? confirmedUntil = null;
        foreach (var confirmation in Children(subject, "SubjectConfirmation", Saml2Xml.AssertionNamespace))
        {
            var data = Child(confirmation, "SubjectConfirmationData", Saml2Xml.AssertionNamespace);
            if (confirmation.GetAttribute("Method") != Bearer || data is null
                || data.GetAttribute("Recipient") != parameters.AssertionConsumerServiceUrl
                || data.GetAttributeNode("NotBefore") is not null
                || Time(data, "NotOnOrAfter") is not { } until || until <= now - skew)
            {
                continue;
            }

            CheckInResponseTo(data.GetAttributeNode("InResponseTo")?.Value, parameters);
            confirmedUntil = until;
            break;
        }

        if (confirmedUntil is null)
        {
            throw Fail(Saml2Failure.SubjectConfirmation, "No valid bearer SubjectConfirmation for this ACS URL.");
        }

        var conditions = Child(assertion, "Conditions", Saml2Xml.AssertionNamespace) ?? throw Fail(Saml2Failure.Audience, "The assertion has no Conditions.");
        if (Time(conditions, "NotBefore") is { } notBefore && notBefore > now + skew)
        {
            throw Fail(Saml2Failure.Expired, "The assertion is not valid yet.");
        }

        var notOnOrAfter = Time(conditions, "NotOnOrAfter");
        if (notOnOrAfter is { } end && end <= now - skew)
        {
            throw Fail(Saml2Failure.Expired, "The assertion has expired.");
        }

        // SAML core §2.5.1.4: every AudienceRestriction must be satisfied; the profile requires at least one.
        var restrictions = Children(conditions, "AudienceRestriction", Saml2Xml.AssertionNamespace).ToList();
        if (restrictions.Count == 0 || restrictions.Any(r => !Children(r, "Audience", Saml2Xml.AssertionNamespace).Any(a => a.InnerText == parameters.ServiceProviderEntityId)))
        {
            throw Fail(Saml2Failure.Audience, "The assertion is not for this service provider (Audience).");
        }

        var authn = Child(assertion, "AuthnStatement", Saml2Xml.AssertionNamespace) ?? throw Fail(Saml2Failure.Malformed, "The assertion has no AuthnStatement.");
        var attributes = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (var statement in Children(assertion, "AttributeStatement", Saml2Xml.AssertionNamespace))
        {
            foreach (var attribute in Children(statement, "Attribute", Saml2Xml.AssertionNamespace))
            {
                var values = Children(attribute, "AttributeValue", Saml2Xml.AssertionNamespace)
                    .Select(v => ExactText(v) ?? throw Fail(Saml2Failure.Malformed, "An attribute value is split by comments, processing instructions or CDATA."))
                    .ToList();
                attributes[attribute.GetAttribute("Name")] = values;
            }
        }

        var expires = notOnOrAfter is { } conditionEnd && conditionEnd < confirmedUntil ? conditionEnd : confirmedUntil.Value;
        return new Saml2Assertion(
            id, expires, nameId, nameIdElement.GetAttributeNode("Format")?.Value, authn.GetAttributeNode("SessionIndex")?.Value,
            Time(authn, "AuthnInstant"), attributes);
    }

    private static void CheckInResponseTo(string? inResponseTo, Saml2ValidationParameters parameters)
    {
        var ok = parameters.ExpectedInResponseTo is { } expected
            ? inResponseTo == expected
            : parameters.AllowUnsolicited && inResponseTo is null;
        if (!ok)
        {
            throw Fail(Saml2Failure.InResponseTo, "The response does not answer this browser's request.");
        }
    }

    /// <summary>
    /// Verifies the element's own enveloped signature, if it has one: false when unsigned, true when valid; anything
    /// else throws. Only the connection's certificates are tried; KeyInfo in the message is ignored.
    /// </summary>
    private static bool VerifySignature(XmlElement element, Saml2ValidationParameters parameters)
    {
        var signatures = Children(element, "Signature", Saml2Xml.SignatureNamespace).ToList();
        if (signatures.Count == 0)
        {
            return false;
        }

        var id = element.GetAttribute("ID");
        if (signatures.Count > 1 || id.Length == 0)
        {
            throw Fail(Saml2Failure.SignatureShape, "An element carries more than one signature, or has no ID.");
        }

        var signed = new PinnedSignedXml(element);
        try
        {
            signed.LoadXml(signatures[0]);
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            throw Fail(Saml2Failure.SignatureShape, "The signature element is malformed.");
        }

        var info = signed.SignedInfo!;
        var sha1 = parameters.AllowSha1;
        if (info.CanonicalizationMethod != SignedXml.XmlDsigExcC14NTransformUrl
            || !(SignatureAlgorithms.Contains(info.SignatureMethod) || (sha1 && info.SignatureMethod == SignedXml.XmlDsigRSASHA1Url))
            || info.References.Count != 1
            || info.References[0] is not Reference reference
            || reference.Uri != "#" + id
            || !(DigestAlgorithms.Contains(reference.DigestMethod) || (sha1 && reference.DigestMethod == SignedXml.XmlDsigSHA1Url))
            || reference.TransformChain.Count > 2
            || Enumerable.Range(0, reference.TransformChain.Count).Any(i =>
                reference.TransformChain[i].GetType() != typeof(XmlDsigEnvelopedSignatureTransform) && reference.TransformChain[i].GetType() != typeof(XmlDsigExcC14NTransform)))
        {
            throw Fail(Saml2Failure.SignatureShape,
                "The signature must be exclusive-c14n, with one #ID reference to the signed element, enveloped-signature and exclusive-c14n transforms, and allowed algorithms.");
        }

        foreach (var certificate in parameters.SigningCertificates)
        {
            try
            {
                if (signed.CheckSignature(certificate, verifySignatureOnly: true))
                {
                    return true;
                }
            }
            catch (CryptographicException)
            {
                // A pinned certificate whose key cannot check this signature (an EC key): try the next one.
            }
        }

        throw Fail(Saml2Failure.InvalidSignature, "The signature does not verify with the connection's certificates.");
    }

    /// <summary>
    /// IDs must be unique across the document, whatever the attribute's case (ID, Id, id): otherwise a reference could
    /// be resolved to a decoy by a less careful reader.
    /// </summary>
    private static void RejectDuplicateIds(XmlDocument document)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var element in document.DocumentElement!.SelectNodes("descendant-or-self::*")!.OfType<XmlElement>())
        {
            foreach (var attribute in element.Attributes.OfType<XmlAttribute>())
            {
                if (attribute.LocalName.Equals("id", StringComparison.OrdinalIgnoreCase) && attribute.NamespaceURI.Length == 0 && !seen.Add(attribute.Value))
                {
                    throw Fail(Saml2Failure.DuplicateId, "Two elements have the same ID.");
                }
            }
        }
    }

    /// <summary>The text of an element that holds exactly one text node (nothing for an empty one); null otherwise.</summary>
    private static string? ExactText(XmlElement element) => element.ChildNodes.Count switch
    {
        0 => string.Empty,
        1 when element.FirstChild is XmlText text => text.Value,
        _ => null,
    };

    private static DateTimeOffset? Time(XmlElement element, string attribute)
    {
        if (element.GetAttributeNode(attribute)?.Value is not { } value)
        {
            return null;
        }

        return DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time)
            ? time
            : throw Fail(Saml2Failure.Malformed, $"{attribute} is not a date and time.");
    }

    private static bool Is(XmlElement element, string name, string ns) => element.LocalName == name && element.NamespaceURI == ns;

    private static XmlElement? Child(XmlElement? parent, string name, string ns) =>
        parent?.ChildNodes.OfType<XmlElement>().FirstOrDefault(e => Is(e, name, ns));

    private static IEnumerable<XmlElement> Children(XmlElement parent, string name, string ns) =>
        parent.ChildNodes.OfType<XmlElement>().Where(e => Is(e, name, ns));

    private static IEnumerable<XmlElement> Descendants(XmlElement root, string name, string ns) =>
        root.GetElementsByTagName(name, ns).OfType<XmlElement>();

    private static Saml2ValidationException Fail(Saml2Failure reason, string message) => new(reason, message);

    /// <summary>Resolves a reference only to the element whose signature is being checked (never to a decoy elsewhere).</summary>
    private sealed class PinnedSignedXml : SignedXml
    {
        private readonly XmlElement target;

        public PinnedSignedXml(XmlElement signedElement)
            : base(signedElement)
        {
            target = signedElement;
        }

        public override XmlElement? GetIdElement(XmlDocument? document, string idValue) =>
            target.GetAttribute("ID") == idValue ? target : null;
    }
}
