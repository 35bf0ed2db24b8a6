using OpenIddict.Abstractions;
using OpenIddict.Server;
using Plinto.IdentityServer.Account.Sessions;
using static OpenIddict.Abstractions.OpenIddictConstants;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace Plinto.IdentityServer.Connect;

/// <summary>
/// The account a refresh token names, read in the same query as the token's row: the token endpoint checks the
/// account as it is now on every grant (<c>ConnectEndpoints.UserGrantAsync</c>), and reading both at once saves a
/// database round trip per refresh grant. (A code is a reference token, read before its subject is known.) One per request; what it holds is what the separate query would have read
/// a moment later in the same request.
/// </summary>
internal sealed class GrantAccountPrefetch
{
    private (string UserId, string? SessionId)? requested;
    private (string UserId, string? SessionId, GrantAccount? Account)? read;

    /// <summary>The account to read with the next token row, if that token names this user.</summary>
    public (string UserId, string? SessionId)? TakeRequest()
    {
        var request = requested;
        requested = null;
        return request;
    }

    public void Complete(string userId, string? sessionId, GrantAccount? account) => read = (userId, sessionId, account);

    /// <summary>The account read with the token, if it was read for this user and session.</summary>
    public bool TryTake(string userId, string? sessionId, out GrantAccount? account)
    {
        if (read is { } done && done.UserId == userId && done.SessionId == sessionId)
        {
            read = null;
            account = done.Account;
            return true;
        }

        account = null;
        return false;
    }

    /// <summary>
    /// Once the refresh token presented to the token endpoint is decrypted and before its row is read, asks for its
    /// account to be read with it.
    /// </summary>
    internal sealed class Request(GrantAccountPrefetch prefetch) : IOpenIddictServerHandler<ValidateTokenContext>
    {
        public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
            OpenIddictServerHandlerDescriptor.CreateBuilder<ValidateTokenContext>()
                .UseScopedHandler<Request>()
                .SetOrder(OpenIddictServerHandlers.Protection.RestoreTokenEntryProperties.Descriptor.Order - 500)
                .SetType(OpenIddictServerHandlerType.Custom)
                .Build();

        public ValueTask HandleAsync(ValidateTokenContext context)
        {
            ArgumentNullException.ThrowIfNull(context);
            if (context.EndpointType is OpenIddictServerEndpointType.Token
                && context.Principal is { } principal
                && principal.GetTokenType() is TokenTypeIdentifiers.RefreshToken
                && principal.GetClaim(Claims.Subject) is { Length: > 0 } subject)
            {
                prefetch.requested = (subject, principal.GetClaim(UserSessions.SessionIdClaim));
            }

            return ValueTask.CompletedTask;
        }
    }
}
