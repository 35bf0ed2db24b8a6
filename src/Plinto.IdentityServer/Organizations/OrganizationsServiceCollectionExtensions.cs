using Microsoft.Extensions.DependencyInjection.Extensions;
using Plinto.IdentityServer.Admin;

namespace Plinto.IdentityServer.Organizations;

internal static class OrganizationsServiceCollectionExtensions
{
    public static IHostApplicationBuilder AddPlintoOrganizations(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddOptions<OrganizationOptions>().BindConfiguration(OrganizationOptions.Section)
            .Validate(o => o.InvitationLifetime >= TimeSpan.FromMinutes(5) && o.InvitationLifetime <= TimeSpan.FromDays(30),
                "Plinto:Organizations:InvitationLifetime must be between 00:05:00 and 30.00:00:00.")
            .Validate(o => o.DnsServers.All(s => System.Net.IPEndPoint.TryParse(s, out _)),
                "Plinto:Organizations:DnsServers must list IP endpoints such as 10.0.0.2:53.")
            .ValidateOnStart();
        services.AddScoped<OrganizationAdministration>();
        services.AddScoped<OrganizationMemberships>();
        services.TryAddSingleton<IDnsTxtResolver, SystemDnsTxtResolver>();

        // Bearer tokens for the admin API: validated in-process against this server's own keys and token store.
        services.AddOpenIddict().AddValidation(options =>
        {
            options.UseLocalServer();
            options.UseAspNetCore();
            options.AddAudiences(AdminApi.Audience);
            // A revoked authorization (member removed, app disconnected, sessions ended) stops its access tokens
            // here at once, not when they expire.
            options.EnableAuthorizationEntryValidation();
        });
        services.AddOnDemandBearerValidation();
        services.AddPlintoAdminApi();
        return builder;
    }
}
