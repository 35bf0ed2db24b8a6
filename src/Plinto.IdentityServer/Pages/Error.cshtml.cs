using System.Diagnostics;
using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Plinto.IdentityServer.Pages;

/// <summary>
/// Every error a person can see: unhandled exceptions, bare status codes, and protocol errors that OpenIddict
/// must not send back to a client (unknown client, unregistered redirect_uri: RFC 6749 §4.1.2.1).
/// Never a stack trace; always a way back.
/// </summary>
[IgnoreAntiforgeryToken]
[ResponseCache(Duration = 0, Location = ResponseCacheLocation.None, NoStore = true)]
internal sealed class ErrorModel : PageModel
{
    public string Title { get; private set; } = "Something went wrong";

    public string Message { get; private set; } = "We could not complete your request. Please try again.";

    public string? ProtocolError { get; private set; }

    public string RequestId { get; private set; } = string.Empty;

    public void OnGet(int? code) => Describe(code);

    public void OnPost(int? code) => Describe(code);

    private void Describe(int? code)
    {
        RequestId = Activity.Current?.Id ?? HttpContext.TraceIdentifier;
        var status = code ?? (HttpContext.Features.Get<IExceptionHandlerFeature>() is null ? 404 : Response.StatusCode);
        if (HttpContext.GetOpenIddictServerResponse() is { Error: not null } protocol)
        {
            Title = "This request is not valid";
            Message = protocol.ErrorDescription ?? "The application sent a request we cannot accept.";
            ProtocolError = protocol.Error;
            return;
        }

        (Title, Message) = status switch
        {
            400 or 413 or 431 => ("The request could not be read", "The request was malformed or too large."),
            403 => ("Access denied", "You do not have access to this page."),
            429 => ("Too many attempts", "Wait a minute, then try again."),
            404 => ("Page not found", "There is nothing at this address."),
            _ => (Title, Message),
        };
    }
}
