using System.Diagnostics;
using System.Globalization;
using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Options;
using OpenIddict.Server;

namespace Plinto.IdentityServer.Pages;

/// <summary>
/// Every error a person can see: unhandled exceptions, bare status codes, and protocol errors that OpenIddict
/// must not send back to a client (unknown client, unregistered redirect_uri: RFC 6749 §4.1.2.1).
/// Never a stack trace; always a way back.
/// </summary>
[IgnoreAntiforgeryToken]
[ResponseCache(Duration = 0, Location = ResponseCacheLocation.None, NoStore = true)]
internal sealed class ErrorModel(IOptionsMonitor<OpenIddictServerOptions> server) : PageModel
{
    public string Title { get; private set; } = "Something went wrong";

    public string Message { get; private set; } = "We could not complete your request. Please try again.";

    public string? ProtocolError { get; private set; }

    public string RequestId { get; private set; } = string.Empty;

    // The status comes from the query string (UseStatusCodePagesWithReExecute's "?code={0}") and nothing is bound:
    // a POST re-executed here after its body broke (a client that disconnected mid-request) must not read that body
    // again, which would fail a second time and turn a client's error into a server failure.
    public IActionResult OnGet() => Respond();

    public IActionResult OnPost() => Respond();

    private IActionResult Respond()
    {
        var code = QueryCode();
        if (code is null && HttpContext.Features.Get<IExceptionHandlerPathFeature>() is { } failure && IsMachineEndpoint(failure.Path))
        {
            // RFC 6749 §5.2: the token endpoint answers errors as JSON, and so do the endpoints that follow its
            // rules (introspection, RFC 7662 §2.3; revocation, RFC 7009 §2.2.1). A request it could not read (a body
            // cut short, a form over its limits) is the client's invalid_request; anything else is ours.
            var status = Response.StatusCode;
            return new JsonResult(new Dictionary<string, string>
            {
                ["error"] = status < 500 ? "invalid_request" : "server_error",
                ["error_description"] = status < 500 ? "The request could not be read." : "The request could not be completed.",
            })
            { StatusCode = status };
        }

        Describe(code);
        return Page();
    }

    private bool IsMachineEndpoint(string path)
    {
        var endpoints = server.CurrentValue;
        return endpoints.TokenEndpointUris.Concat(endpoints.IntrospectionEndpointUris).Concat(endpoints.RevocationEndpointUris)
            .Any(uri => !uri.IsAbsoluteUri && string.Equals("/" + uri.OriginalString.TrimStart('/'), path, StringComparison.OrdinalIgnoreCase));
    }

    private int? QueryCode() =>
        int.TryParse(Request.Query["code"], NumberStyles.None, CultureInfo.InvariantCulture, out var code) ? code : null;

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
