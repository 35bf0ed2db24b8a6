using System.Security.Cryptography.X509Certificates;
using System.Xml;
using static Plinto.Saml2.Tests.SamlSamples;

namespace Plinto.Saml2.Tests;

/// <summary>
/// The attack corpus of the security checklist, as builders over a validly signed response: XML signature wrapping
/// (XSW1–XSW8, XSW10 as catalogued by Somorovsky et al., "On Breaking SAML", and SAML Raider), an extra unsigned
/// assertion, a stripped signature, an Id decoy, NameID splits and a foreign certificate. The same builders write
/// the corpus files (Corpus/attacks) and run live in <see cref="Saml2AttackTests"/>.
/// </summary>
internal static class SamlAttacks
{
    public const string Evil = "admin@example.test";

    public sealed record Attack(string Name, Func<X509Certificate2, XmlDocument> Build, Saml2Failure[] Reasons)
    {
        public override string ToString() => Name;
    }

    public static IReadOnlyList<Attack> All { get; } =
    [
        new("xsw1-response-copied-into-its-signature", key =>
        {
            var (document, response, _, evil) = Parts(key, signResponse: true);
            var copy = (XmlElement)response.CloneNode(deep: true);
            Object(Signature(response)).AppendChild(copy);
            response.ReplaceChild(evil, response.ChildNodes.OfType<XmlElement>().Single(e => e.LocalName == "Assertion"));
            return document;
        }, [Saml2Failure.DuplicateId, Saml2Failure.AssertionCount]),
        new("xsw2-response-copied-before-the-signature", key =>
        {
            var (document, response, _, evil) = Parts(key, signResponse: true);
            response.InsertBefore(response.CloneNode(deep: true), Signature(response));
            response.ReplaceChild(evil, response.ChildNodes.OfType<XmlElement>().Last(e => e.LocalName == "Assertion"));
            return document;
        }, [Saml2Failure.DuplicateId, Saml2Failure.AssertionCount]),
        new("xsw3-evil-assertion-with-the-same-id-first", key =>
        {
            var (document, response, signed, evil) = Parts(key);
            response.InsertBefore(evil, signed);
            return document;
        }, [Saml2Failure.DuplicateId, Saml2Failure.AssertionCount]),
        new("xsw4-signed-assertion-inside-the-evil-one", key =>
        {
            var (document, response, signed, evil) = Parts(key);
            response.ReplaceChild(evil, signed);
            evil.AppendChild(signed);
            return document;
        }, [Saml2Failure.DuplicateId, Saml2Failure.AssertionCount]),
        new("xsw5-evil-assertion-carries-the-signature", key =>
        {
            var (document, response, signed, evil) = Parts(key);
            evil.InsertAfter(Signature(signed).CloneNode(deep: true), Issuer(evil));
            response.ReplaceChild(evil, signed);
            response.AppendChild(signed);
            return document;
        }, [Saml2Failure.DuplicateId, Saml2Failure.AssertionCount]),
        new("xsw6-original-in-the-evil-signature-object", key =>
        {
            var (document, response, signed, evil) = Parts(key);
            var signature = (XmlElement)Signature(signed).CloneNode(deep: true);
            evil.InsertAfter(signature, Issuer(evil));
            response.ReplaceChild(evil, signed);
            Object(signature).AppendChild(signed);
            return document;
        }, [Saml2Failure.DuplicateId, Saml2Failure.AssertionCount]),
        new("xsw7-original-in-extensions", key =>
        {
            var (document, response, signed, evil) = Parts(key, keepId: false);
            response.ReplaceChild(evil, signed);
            Extensions(response).AppendChild(signed);
            return document;
        }, [Saml2Failure.AssertionCount, Saml2Failure.MissingSignature]),
        new("xsw8-original-in-an-object-of-a-copied-signature", key =>
        {
            var (document, response, signed, evil) = Parts(key, keepId: false);
            var signature = (XmlElement)Signature(signed).CloneNode(deep: true);
            evil.InsertAfter(signature, Issuer(evil));
            response.ReplaceChild(evil, signed);
            Object(signature).AppendChild(signed);
            return document;
        }, [Saml2Failure.AssertionCount, Saml2Failure.SignatureShape, Saml2Failure.InvalidSignature]),
        new("xsw10-evil-assertion-with-a-new-id-first", key =>
        {
            var (document, response, signed, evil) = Parts(key, keepId: false);
            response.InsertBefore(evil, signed);
            return document;
        }, [Saml2Failure.AssertionCount]),
        new("extra-unsigned-assertion", key =>
        {
            var (document, response, _, evil) = Parts(key, keepId: false);
            response.AppendChild(evil);
            return document;
        }, [Saml2Failure.AssertionCount]),
        new("signature-stripped", key =>
        {
            var (document, _, signed, _) = Parts(key);
            signed.RemoveChild(Signature(signed));
            return document;
        }, [Saml2Failure.MissingSignature]),
        new("id-decoy", key =>
        {
            var (document, response, _, evil) = Parts(key, keepId: false);
            evil.SetAttribute("Id", AssertionId);
            response.AppendChild(evil);
            return document;
        }, [Saml2Failure.DuplicateId]),
        new("nameid-comment-split", key => Signed(Xml(nameId: "admin@example.test<!-- -->.evil.test"), key: key), [Saml2Failure.NameId]),
        new("nameid-processing-instruction-split", key => Signed(Xml(nameId: "admin@example.test<?split?>.evil.test"), key: key), [Saml2Failure.NameId]),
        new("nameid-cdata-split", key => Signed(Xml(nameId: "admin@example.test<![CDATA[]]>.evil.test"), key: key), [Saml2Failure.NameId]),
        new("foreign-certificate", _ => Signed(Xml(), key: OtherCertificate), [Saml2Failure.InvalidSignature]),
        new("nameid-changed-after-signing", key =>
        {
            var document = Signed(Xml(), key: key);
            document.GetElementsByTagName("NameID", Saml2Xml.AssertionNamespace)[0]!.InnerText = Evil;
            return document;
        }, [Saml2Failure.InvalidSignature]),
    ];

    /// <summary>The signed assertion, and an unsigned copy naming the attacker.</summary>
    private static (XmlDocument Document, XmlElement Response, XmlElement Signed, XmlElement Evil) Parts(X509Certificate2 key, bool signResponse = false, bool keepId = true)
    {
        var document = Signed(Xml(), assertion: !signResponse, response: signResponse, key: key);
        var response = document.DocumentElement!;
        var signed = (XmlElement)response.GetElementsByTagName("Assertion", Saml2Xml.AssertionNamespace)[0]!;
        var evil = (XmlElement)signed.CloneNode(deep: true);
        if (evil.GetElementsByTagName("Signature", Saml2Xml.SignatureNamespace).Count > 0)
        {
            evil.RemoveChild(evil.GetElementsByTagName("Signature", Saml2Xml.SignatureNamespace)[0]!);
        }

        evil.GetElementsByTagName("NameID", Saml2Xml.AssertionNamespace)[0]!.InnerText = Evil;
        if (!keepId)
        {
            evil.SetAttribute("ID", "_evil");
        }

        return (document, response, signed, evil);
    }

    private static XmlElement Issuer(XmlElement element) => element.ChildNodes.OfType<XmlElement>().First(e => e.LocalName == "Issuer");

    private static XmlElement Signature(XmlElement element) =>
        element.ChildNodes.OfType<XmlElement>().Single(e => e.LocalName == "Signature" && e.NamespaceURI == Saml2Xml.SignatureNamespace);

    private static XmlElement Object(XmlElement signature)
    {
        var element = signature.OwnerDocument.CreateElement("ds", "Object", Saml2Xml.SignatureNamespace);
        signature.AppendChild(element);
        return element;
    }

    private static XmlElement Extensions(XmlElement response)
    {
        var element = response.OwnerDocument.CreateElement("samlp", "Extensions", Saml2Xml.ProtocolNamespace);
        response.InsertAfter(element, Issuer(response));
        return element;
    }
}
