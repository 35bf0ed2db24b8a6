using System.Diagnostics.Metrics;
using OpenIddict.Server;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace Plinto.IdentityServer.Hosting;

/// <summary>Bound to <c>Plinto:Telemetry</c>.</summary>
internal sealed class TelemetryOptions
{
    public const string Section = "Plinto:Telemetry";

    /// <summary>
    /// Serve Prometheus metrics at <c>/metrics</c>, only to connections that arrive on this local port (add it to
    /// Kestrel's ports, e.g. <c>ASPNETCORE_HTTP_PORTS=8080;9464</c>), so the public port never exposes them.
    /// Null: no scrape endpoint.
    /// </summary>
    public int? PrometheusPort { get; set; }
}

/// <summary>Plinto's own instruments, next to ASP.NET Core's, Kestrel's and the runtime's built-in meters.</summary>
internal sealed class PlintoMetrics
{
    public const string MeterName = "Plinto.IdentityServer";

    private readonly Counter<long> tokenResponses;
    private readonly Counter<long> passwordSignIns;

    public PlintoMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        tokenResponses = meter.CreateCounter<long>("plinto.token.responses", "{response}",
            "Token endpoint responses by grant type and OAuth error (none when tokens were issued).");
        passwordSignIns = meter.CreateCounter<long>("plinto.password_sign_ins", "{attempt}",
            "Password sign-in attempts by outcome.");
    }

    public void TokenResponse(string? grantType, string? error) => tokenResponses.Add(1,
        new KeyValuePair<string, object?>("grant_type", grantType ?? "unknown"),
        new KeyValuePair<string, object?>("error", error ?? "none"));

    public void PasswordSignIn(string outcome) => passwordSignIns.Add(1, new KeyValuePair<string, object?>("outcome", outcome));
}

/// <summary>Counts every token endpoint response, including the errors OpenIddict answers before our code runs.</summary>
internal sealed class TokenResponseMetricsHandler(PlintoMetrics metrics) : IOpenIddictServerHandler<OpenIddictServerEvents.ApplyTokenResponseContext>
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
        OpenIddictServerHandlerDescriptor.CreateBuilder<OpenIddictServerEvents.ApplyTokenResponseContext>()
            .UseSingletonHandler<TokenResponseMetricsHandler>()
            .SetOrder(int.MinValue + 100_000)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

    public ValueTask HandleAsync(OpenIddictServerEvents.ApplyTokenResponseContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        // Only the grant type and the error code: never a token, a code or a client secret.
        var grantType = context.Request?.GrantType;
        metrics.TokenResponse(KnownGrantType(grantType), context.Response.Error);
        return ValueTask.CompletedTask;
    }

    // Bounded tag values: an attacker's made-up grant type must not create a new time series.
    private static string? KnownGrantType(string? grantType) => grantType switch
    {
        null => null,
        OpenIddict.Abstractions.OpenIddictConstants.GrantTypes.AuthorizationCode or
        OpenIddict.Abstractions.OpenIddictConstants.GrantTypes.RefreshToken or
        OpenIddict.Abstractions.OpenIddictConstants.GrantTypes.ClientCredentials => grantType,
        _ => "other",
    };
}

internal static class TelemetryServiceCollectionExtensions
{
    /// <summary>
    /// OpenTelemetry metrics: OTLP export when the standard <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set, and/or a
    /// Prometheus scrape endpoint on a separate port (<see cref="TelemetryOptions.PrometheusPort"/>).
    /// </summary>
    public static IHostApplicationBuilder AddPlintoTelemetry(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = builder.Configuration.GetSection(TelemetryOptions.Section).Get<TelemetryOptions>() ?? new TelemetryOptions();
        if (options.PrometheusPort is < 1 or > 65535)
        {
            throw new InvalidOperationException($"Plinto:Telemetry:PrometheusPort '{options.PrometheusPort}' is not a TCP port.");
        }

        builder.Services.AddSingleton<PlintoMetrics>();
        var otlp = !string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        if (options.PrometheusPort is null && !otlp)
        {
            return builder;
        }

        builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("plinto-identityserver"))
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(
                    PlintoMetrics.MeterName,
                    "Microsoft.AspNetCore.Hosting",
                    "Microsoft.AspNetCore.Server.Kestrel",
                    "Microsoft.AspNetCore.Diagnostics",
                    "Microsoft.AspNetCore.RateLimiting",
                    "Microsoft.AspNetCore.Identity",
                    "Microsoft.EntityFrameworkCore",
                    "Npgsql",
                    "System.Runtime",
                    "System.Net.Http");
                if (options.PrometheusPort is not null)
                {
                    metrics.AddPrometheusExporter();
                }

                if (otlp)
                {
                    metrics.AddOtlpExporter();
                }
            });
        return builder;
    }

    public static WebApplication UsePlintoMetricsEndpoint(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var port = app.Configuration.GetSection(TelemetryOptions.Section).Get<TelemetryOptions>()?.PrometheusPort;
        if (port is not null)
        {
            // The local port the connection arrived on, not the Host header (which the client chooses).
            app.UseOpenTelemetryPrometheusScrapingEndpoint(
                context => context.Connection.LocalPort == port && context.Request.Path == "/metrics");
        }

        return app;
    }
}
