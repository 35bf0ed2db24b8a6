using System.Xml;
using static Plinto.Saml2.Tests.SamlSamples;

namespace Plinto.Saml2.Tests;

/// <summary>
/// The attack corpus (<see cref="SamlAttacks"/>) built live with a fresh key, plus the attacks on the parser itself:
/// DOCTYPE and entity tricks, oversized and deeply nested input. Each must be refused with its reason, and the
/// reason must never echo the message.
/// </summary>
internal sealed class Saml2AttackTests
{
    [TestCaseSource(typeof(SamlAttacks), nameof(SamlAttacks.All))]
    public void Each_attack_is_refused_for_its_reason(SamlAttacks.Attack attack)
    {
        var refusal = Assert.Throws<Saml2ValidationException>(() => Validate(attack.Build(IdpCertificate)))!;
        Assert.That(attack.Reasons, Does.Contain(refusal.Reason), refusal.Message);
        Assert.That(refusal.Message, Does.Not.Contain(SamlAttacks.Evil), "reasons never echo the message");
    }

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

    [Test]
    public void The_unattacked_response_passes_so_each_refusal_is_the_attacks_doing() =>
        Assert.That(Validate(Signed(Xml())).NameId, Is.EqualTo("ada@example.test"));

}
