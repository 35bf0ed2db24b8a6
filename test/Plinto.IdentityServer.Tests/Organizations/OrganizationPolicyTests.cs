using Plinto.IdentityServer.Organizations;

namespace Plinto.IdentityServer.Tests.Organizations;

/// <summary>How a session's <c>amr</c> meets an organization's policies (first factor first, as Plinto records it).</summary>
internal sealed class OrganizationPolicyTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);

    [TestCase(new[] { "pwd" }, SignInMethods.Password, ExpectedResult = PolicyOutcome.Satisfied)]
    [TestCase(new[] { "otp" }, SignInMethods.EmailCode, ExpectedResult = PolicyOutcome.Satisfied)]
    [TestCase(new[] { "otp" }, SignInMethods.All, ExpectedResult = PolicyOutcome.Satisfied)]
    [TestCase(new[] { "hwk", "user", "mfa" }, SignInMethods.Passkey, ExpectedResult = PolicyOutcome.Satisfied)]
    [TestCase(new[] { "swk", "user", "mfa" }, SignInMethods.Passkey, ExpectedResult = PolicyOutcome.Satisfied)]
    [TestCase(new[] { "ext" }, SignInMethods.Saml, ExpectedResult = PolicyOutcome.Satisfied)]
    // A password with an authenticator code ("otp" second) is a password sign-in, not an e-mailed code.
    [TestCase(new[] { "pwd", "otp", "mfa" }, SignInMethods.EmailCode, ExpectedResult = PolicyOutcome.MethodNotAllowed)]
    [TestCase(new[] { "pwd", "hwk", "mfa" }, SignInMethods.Passkey, ExpectedResult = PolicyOutcome.MethodNotAllowed)]
    [TestCase(new[] { "pwd" }, SignInMethods.Saml, ExpectedResult = PolicyOutcome.MethodNotAllowed)]
    [TestCase(new string[0], SignInMethods.All, ExpectedResult = PolicyOutcome.MethodNotAllowed)]
    public PolicyOutcome Allowed_methods_look_at_the_first_factor(string[] amr, SignInMethods allowed) =>
        OrganizationPolicy.Evaluate(new Organization { Id = "org-1", AllowedMethods = allowed }, amr, Now, Now, externalOrganizationId: "org-1");

    [Test]
    public void Single_sign_on_at_another_organizations_IdP_is_not_this_organizations_SAML()
    {
        var samlOnly = new Organization { Id = "org-b", AllowedMethods = SignInMethods.Saml };
        Assert.Multiple(() =>
        {
            Assert.That(OrganizationPolicy.Evaluate(samlOnly, ["ext"], Now, Now, externalOrganizationId: "org-a"), Is.EqualTo(PolicyOutcome.MethodNotAllowed));
            Assert.That(OrganizationPolicy.Evaluate(samlOnly, ["ext"], Now, Now, externalOrganizationId: null), Is.EqualTo(PolicyOutcome.MethodNotAllowed));
            Assert.That(OrganizationPolicy.Evaluate(samlOnly, ["ext"], Now, Now, externalOrganizationId: "org-b"), Is.EqualTo(PolicyOutcome.Satisfied));
        });
    }

    [Test]
    public void Session_lifetime_and_second_factor_apply_in_that_order()
    {
        var organization = new Organization { RequireMfa = true, SessionLifetimeMinutes = 30 };
        Assert.Multiple(() =>
        {
            Assert.That(OrganizationPolicy.Evaluate(organization, ["pwd"], Now.AddMinutes(-31), Now), Is.EqualTo(PolicyOutcome.SessionTooOld));
            Assert.That(OrganizationPolicy.Evaluate(organization, ["pwd"], Now.AddMinutes(-29), Now), Is.EqualTo(PolicyOutcome.NeedsSecondFactor));
            Assert.That(OrganizationPolicy.Evaluate(organization, ["pwd", "otp", "mfa"], Now.AddMinutes(-29), Now), Is.EqualTo(PolicyOutcome.Satisfied));
        });
    }
}
