namespace Plinto.IdentityServer.Scim;

internal static class ScimServiceCollectionExtensions
{
    public static IHostApplicationBuilder AddPlintoScim(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddScoped<ScimTokens>();
        builder.Services.AddScoped<ScimUsers>();
        builder.Services.AddScoped<ScimGroups>();
        return builder;
    }
}
