using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.Mvc.Controllers;
using Microsoft.AspNetCore.Mvc.Razor.TagHelpers;
using Microsoft.AspNetCore.Mvc.ViewComponents;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Plinto.IdentityServer.Data;

namespace Plinto.IdentityServer.Hosting;

internal static class HostingServiceCollectionExtensions
{
    /// <summary>Form and body limits: generous for any real sign-in or token request, small for abuse.</summary>
    public const int MaxFormValueLength = 16 * 1024;
    public const long MaxRequestBodySize = 1024 * 1024;

    public static IHostApplicationBuilder AddPlintoHosting(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddOptions<PlintoHostOptions>().BindConfiguration(PlintoHostOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<Microsoft.Extensions.Options.IValidateOptions<PlintoHostOptions>, ValidatePlintoHostOptions>();
        services.AddOptions<ForwardedHeadersSettings>().BindConfiguration(ForwardedHeadersSettings.Section);
        services.AddSingleton(TimeProvider.System);

        services.Configure<FormOptions>(o =>
        {
            o.ValueLengthLimit = MaxFormValueLength;
            o.ValueCountLimit = 256;
            o.KeyLengthLimit = 256;
            o.MultipartBodyLengthLimit = MaxRequestBodySize;
        });
        var kestrelLimits = builder.Configuration.GetSection("Kestrel:Limits");
        services.Configure<KestrelServerOptions>(o =>
        {
            o.Limits.MaxRequestBodySize = MaxRequestBodySize;
            o.AddServerHeader = false;
            // ASP.NET Core reads only Kestrel's endpoints and certificates from configuration; its limits
            // (MaxConcurrentConnections, RequestHeadersTimeout, ...) are bound here, so an operator can set them like any
            // other setting (Kestrel__Limits__MaxConcurrentConnections).
            kestrelLimits.Bind(o.Limits);
        });

        var requireHttps = builder.Configuration.GetPlintoHostOptions().RequireHttps;
        services.AddAntiforgery(o =>
        {
            PlintoCookies.Apply(o.Cookie, "plinto.antiforgery", requireHttps);
            o.Cookie.SameSite = SameSiteMode.Strict;
        });
        services.AddRazorPages(o =>
        {
            o.Conventions.AddFolderApplicationModelConvention("/Account",
                model => model.EndpointMetadata.Add(new Microsoft.AspNetCore.RateLimiting.EnableRateLimitingAttribute(Account.AccountThrottling.Policy)));
            // The account center needs a session (the cookie's challenge sends the browser to sign in).
            o.Conventions.AuthorizeFolder("/Account/Manage");
        }).ConfigureApplicationPartManager(parts =>
        {
            // Plinto has no controllers and no view components, and its pages' tag helpers are bound when the views
            // are compiled: the three providers that look for those walk every type of every application part
            // (Plinto's ~1,000 compiler-generated types included), loading each into memory for nothing.
            for (var i = parts.FeatureProviders.Count - 1; i >= 0; i--)
            {
                if (parts.FeatureProviders[i] is ControllerFeatureProvider or ViewComponentFeatureProvider or TagHelperFeatureProvider)
                {
                    parts.FeatureProviders.RemoveAt(i);
                }
            }
        });
        services.AddRequestLocalization(o =>
        {
            // English first; a translation adds its culture here and its resource file.
            o.SetDefaultCulture("en").AddSupportedCultures("en").AddSupportedUICultures("en");
            o.RequestCultureProviders.Insert(0, new UiLocalesRequestCultureProvider());
        });
        services.AddRouting(o => o.LowercaseUrls = true);
        services.AddHealthChecks();
        services.AddHostedService<StartupGarbageRelease>();
        builder.AddPlintoTelemetry();
        return builder;
    }

    /// <summary>
    /// The exception says the client broke the request: a body cut short or malformed (Kestrel's
    /// <see cref="Microsoft.AspNetCore.Http.BadHttpRequestException"/>, the form reader's <see cref="InvalidDataException"/>
    /// for a form over its limits), or a read that failed because the client went away. Logged at Debug.
    /// </summary>
    private static bool IsClientFault(Microsoft.AspNetCore.Diagnostics.ExceptionHandlerSuppressDiagnosticsContext context)
    {
        var http = context.HttpContext;
        var clientFault = context.Exception is Microsoft.AspNetCore.Http.BadHttpRequestException or InvalidDataException
            || (http.RequestAborted.IsCancellationRequested && context.Exception is OperationCanceledException or IOException);
        if (clientFault)
        {
            http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(HostingServiceCollectionExtensions))
                .LogDebug("The client broke the request to {Path}: {Error}",
                    http.Features.Get<Microsoft.AspNetCore.Diagnostics.IExceptionHandlerPathFeature>()?.Path ?? http.Request.Path.Value,
                    context.Exception.Message);
        }

        return clientFault;
    }

    public static WebApplication UsePlintoHosting(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UsePlintoMetricsEndpoint();
        var forwarded = app.Configuration.GetSection(ForwardedHeadersSettings.Section).Get<ForwardedHeadersSettings>();
        if (forwarded?.Enabled == true)
        {
            var options = new ForwardedHeadersOptions
            {
                ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto | ForwardedHeaders.XForwardedHost,
            };
            foreach (var network in forwarded.KnownNetworks)
            {
                options.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(network));
            }

            // A forwarded Host is only believed when it is the issuer's.
            if (app.Configuration.GetPlintoHostOptions().Issuer is { } issuer)
            {
                options.AllowedHosts.Add(issuer.Authority);
            }

            app.UseForwardedHeaders(options);
        }

        // Never a developer exception page: no stack trace reaches a browser, in any environment.
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            ExceptionHandlingPath = "/error",
            StatusCodeSelector = exception => exception switch
            {
                Microsoft.AspNetCore.Http.BadHttpRequestException bad => bad.StatusCode,
                InvalidDataException => StatusCodes.Status400BadRequest,
                _ => StatusCodes.Status500InternalServerError,
            },
            // A request the client broke is answered with its 4xx and logged at Debug, not as a server failure
            // with a stack trace: operators alert on errors, and a client is not an outage.
            SuppressDiagnosticsCallback = IsClientFault,
        });
        if (!app.Environment.IsDevelopment())
        {
            app.UseHsts();
        }

        app.UseStatusCodePagesWithReExecute("/error", "?code={0}");
        app.Use((context, next) =>
        {
            // Machine APIs answer in their own formats (RFC 6750 WWW-Authenticate, RFC 9457 problem details), never
            // with the HTML error page.
            if ((context.Request.Path.StartsWithSegments("/api") || context.Request.Path.StartsWithSegments("/scim")) && context.Features.Get<Microsoft.AspNetCore.Diagnostics.IStatusCodePagesFeature>() is { } pages)
            {
                pages.Enabled = false;
            }

            return next(context);
        });
        app.UseMiddleware<SecurityHeadersMiddleware>();
        app.UseStaticFiles();
        app.UseRequestLocalization();
        return app;
    }

    public static IEndpointRouteBuilder MapPlintoHealth(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        endpoints.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false });
        endpoints.MapHealthChecks("/health/ready", new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains(DatabaseReadyHealthCheck.ReadyTag),
        });
        return endpoints;
    }
}

/// <summary>Bound to <c>Plinto:ForwardedHeaders</c>: trust X-Forwarded-* from these networks only.</summary>
internal sealed class ForwardedHeadersSettings
{
    public const string Section = "Plinto:ForwardedHeaders";

    public bool Enabled { get; set; }

    /// <summary>CIDR ranges of the proxies (for example 10.0.0.0/8); loopback is always trusted.</summary>
    public List<string> KnownNetworks { get; set; } = [];
}
