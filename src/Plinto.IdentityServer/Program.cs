using Plinto.IdentityServer.Account;
using Plinto.IdentityServer.Admin;
using Plinto.IdentityServer.Connect;
using Plinto.IdentityServer.Data;
using Plinto.IdentityServer.Federation.Saml;
using Plinto.IdentityServer.Hosting;
using Plinto.IdentityServer.Jobs;
using Plinto.IdentityServer.Organizations;
using Plinto.IdentityServer.Scim;

// `Plinto.IdentityServer healthcheck`: probe the server already running here (container HEALTHCHECK).
if (args is ["healthcheck", ..])
{
    Environment.ExitCode = await HealthProbe.RunAsync();
    return;
}

var builder = WebApplication.CreateBuilder(args);

builder.AddPlintoHosting();
builder.AddPlintoData();

// `Plinto.IdentityServer migrate`: apply the migrations and exit (deployment jobs, MigrateOnStart=false).
// It needs the database settings only: no keys, no mail, no clients.
if (args is ["migrate", ..])
{
    await using var migrator = builder.Build();
    await migrator.Services.MigratePlintoDatabaseAsync(CancellationToken.None);
    return;
}

builder.AddPlintoAccount();
builder.AddPlintoConnect();
builder.AddPlintoOrganizations();
builder.AddPlintoScim();
builder.AddPlintoSaml();
builder.AddPlintoJobs();

var app = builder.Build();
app.Services.StartBuildingPlintoModel();

app.UsePlintoHosting();
// Plain client_credentials grants are answered here, before OpenIddict's pipeline (same rules, same tokens).
app.UseMiddleware<ClientCredentialsGrant>();
app.UseRouting();
app.UseAuthentication();
app.UseAuthorization();
app.UseRateLimiter();
app.UseAntiforgery();

app.MapPlintoHealth();
app.MapPlintoConnect();
app.MapPlintoAdminApi();
app.MapPlintoOrganizationTheme();
app.MapPlintoScim();
app.MapPlintoSaml();
app.MapOpenApi("/openapi/{documentName}.json");
app.MapRazorPages();

await app.RunAsync();

/// <summary>Entry point; public so that the integration tests can host it.</summary>
public partial class Program;
