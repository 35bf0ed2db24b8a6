using Plinto.IdentityServer.Organizations;

namespace Plinto.IdentityServer.Tests.Organizations;

/// <summary>Domain names and "the same address" for linking: IDNA-exact domains, no look-alikes.</summary>
internal sealed class DomainVerificationTests
{
    [TestCase("Ada@Example.COM", "ada@example.com", ExpectedResult = true)]
    [TestCase("ada@bücher.example", "ada@xn--bcher-kva.example", ExpectedResult = true)]
    [TestCase("ada@gma\u0131l.com", "ada@gmail.com", ExpectedResult = false)] // dotless i: upper case is I
    [TestCase("ada@example.te\u017Ft", "ada@example.test", ExpectedResult = true)] // long s: IDNA folds it, the same DNS name
    [TestCase("\u0131da@example.com", "ida@example.com", ExpectedResult = false)]
    [TestCase("ada@example.com", "ada@example.org", ExpectedResult = false)]
    [TestCase("ada@example.com", null, ExpectedResult = false)]
    public bool Same_address(string left, string? right) => DomainVerification.SameAddress(left, right);

    [TestCase("Example.COM.", ExpectedResult = "example.com")]
    [TestCase("bücher.example", ExpectedResult = "xn--bcher-kva.example")]
    [TestCase("localhost", ExpectedResult = null)]
    [TestCase("exa mple.com", ExpectedResult = null)]
    public string? Normalize(string domain) => DomainVerification.Normalize(domain);
}
