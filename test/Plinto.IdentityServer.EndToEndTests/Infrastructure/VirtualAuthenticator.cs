using System.Text.Json;
using Microsoft.Playwright;

namespace Plinto.IdentityServer.EndToEndTests.Infrastructure;

/// <summary>
/// Chromium's DevTools virtual authenticator (CDP WebAuthn domain): a platform authenticator with resident keys
/// and user verification, whose responses a test can corrupt (bad UV/UP, bogus signature) or whose credentials it
/// can read and plant (clones).
/// </summary>
internal sealed class VirtualAuthenticator
{
    private readonly ICDPSession cdp;

    private VirtualAuthenticator(ICDPSession cdp, string id)
    {
        this.cdp = cdp;
        Id = id;
    }

    public string Id { get; }

    public static async Task<VirtualAuthenticator> AttachAsync(IBrowserContext context, IPage page)
    {
        var cdp = await context.NewCDPSessionAsync(page);
        await cdp.SendAsync("WebAuthn.enable");
        var result = await cdp.SendAsync("WebAuthn.addVirtualAuthenticator", new Dictionary<string, object>
        {
            ["options"] = new Dictionary<string, object>
            {
                ["protocol"] = "ctap2",
                ["ctap2Version"] = "ctap2_1",
                ["transport"] = "internal",
                ["hasResidentKey"] = true,
                ["hasUserVerification"] = true,
                ["isUserVerified"] = true,
                ["automaticPresenceSimulation"] = true,
            },
        });
        return new VirtualAuthenticator(cdp, result!.Value.GetProperty("authenticatorId").GetString()!);
    }

    public Task SetUserVerifiedAsync(bool verified) =>
        cdp.SendAsync("WebAuthn.setUserVerified", new Dictionary<string, object> { ["authenticatorId"] = Id, ["isUserVerified"] = verified });

    /// <summary>Makes the next responses lie: a bogus signature, no user verification, or no user presence.</summary>
    public Task SetResponseOverridesAsync(bool bogusSignature = false, bool badUserVerification = false, bool badUserPresence = false) =>
        cdp.SendAsync("WebAuthn.setResponseOverrideBits", new Dictionary<string, object>
        {
            ["authenticatorId"] = Id,
            ["isBogusSignature"] = bogusSignature,
            ["isBadUV"] = badUserVerification,
            ["isBadUP"] = badUserPresence,
        });

    public async Task<IReadOnlyList<JsonElement>> CredentialsAsync()
    {
        var result = await cdp.SendAsync("WebAuthn.getCredentials", new Dictionary<string, object> { ["authenticatorId"] = Id });
        return result!.Value.GetProperty("credentials").EnumerateArray().Select(c => c.Clone()).ToList();
    }

    public Task RemoveCredentialAsync(string credentialId) =>
        cdp.SendAsync("WebAuthn.removeCredential", new Dictionary<string, object> { ["authenticatorId"] = Id, ["credentialId"] = credentialId });

    /// <summary>Plants a credential (e.g. a copy of a real one with an older signature counter: a clone).</summary>
    public Task AddCredentialAsync(JsonElement credential, int signCount)
    {
        var copy = new Dictionary<string, object>
        {
            ["credentialId"] = credential.GetProperty("credentialId").GetString()!,
            ["isResidentCredential"] = credential.GetProperty("isResidentCredential").GetBoolean(),
            ["rpId"] = credential.GetProperty("rpId").GetString()!,
            ["privateKey"] = credential.GetProperty("privateKey").GetString()!,
            ["signCount"] = signCount,
        };
        if (credential.TryGetProperty("userHandle", out var handle))
        {
            copy["userHandle"] = handle.GetString()!;
        }

        return cdp.SendAsync("WebAuthn.addCredential", new Dictionary<string, object> { ["authenticatorId"] = Id, ["credential"] = copy });
    }
}
