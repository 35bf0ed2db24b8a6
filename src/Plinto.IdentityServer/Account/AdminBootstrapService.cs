using System.ComponentModel.DataAnnotations;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using Plinto.IdentityServer.Data;

namespace Plinto.IdentityServer.Account;

/// <summary>Bound to <c>Plinto:Bootstrap</c>.</summary>
internal sealed class BootstrapOptions
{
    public const string Section = "Plinto:Bootstrap";

    [EmailAddress]
    public string? AdminEmail { get; set; }

    public string? AdminPassword { get; set; }
}

/// <summary>
/// Creates the configured administrator when absent (e-mail confirmed). Without configuration, and only in
/// development, it creates one with a generated password and prints it once, on the console, not in the log.
/// An existing account is never changed.
/// </summary>
internal sealed partial class AdminBootstrapService(
    IServiceProvider services,
    IOptions<BootstrapOptions> options,
    IHostEnvironment environment,
    TimeProvider time,
    ILogger<AdminBootstrapService> logger) : IHostedService
{
    public const string AdminRole = "admin";
    private const string DevelopmentAdminEmail = "admin@plinto.localhost";

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var configured = options.Value;
        var generated = string.IsNullOrWhiteSpace(configured.AdminEmail);
        if (generated && !environment.IsDevelopment())
        {
            return;
        }

        await using var scope = services.CreateAsyncScope();
        await using var startupLock = await StartupLock.AcquireAsync(
            scope.ServiceProvider.GetRequiredService<PlintoDbContext>(), "bootstrap-admin", cancellationToken);
        var users = scope.ServiceProvider.GetRequiredService<UserManager<PlintoUser>>();
        var roles = scope.ServiceProvider.GetRequiredService<RoleManager<IdentityRole>>();
        var email = generated ? DevelopmentAdminEmail : configured.AdminEmail!;

        if (!await roles.RoleExistsAsync(AdminRole))
        {
            ThrowIfFailed(await roles.CreateAsync(new IdentityRole(AdminRole)), "Plinto:Bootstrap");
        }

        if (await users.FindByEmailAsync(email) is not null)
        {
            return;
        }

        if (!generated && string.IsNullOrEmpty(configured.AdminPassword) && !environment.IsDevelopment())
        {
            // Outside development the console is the log: a generated password must not be printed there.
            throw new InvalidOperationException("Plinto:Bootstrap:AdminPassword is required with Plinto:Bootstrap:AdminEmail outside Development.");
        }

        var password = generated || string.IsNullOrEmpty(configured.AdminPassword)
            ? RandomNumberGenerator.GetString("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789", 20)
            : configured.AdminPassword;
        var admin = new PlintoUser
        {
            UserName = email,
            Email = email,
            EmailConfirmed = true,
            Name = "Administrator",
            CreatedAt = time.GetUtcNow(),
        };
        ThrowIfFailed(await users.CreateAsync(admin, password), "Plinto:Bootstrap:AdminPassword");
        ThrowIfFailed(await users.AddToRoleAsync(admin, AdminRole), "Plinto:Bootstrap");
        LogAdminCreated(logger);

        if (password != configured.AdminPassword)
        {
            // Deliberately the console and not the logger: the password must not reach log storage.
            Console.WriteLine($"""

                ==== Plinto administrator created ====
                  email:    {email}
                  password: {password}
                Shown once. Sign in at /account/signin and change it.
                ======================================

                """);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private static void ThrowIfFailed(IdentityResult result, string key)
    {
        if (!result.Succeeded)
        {
            throw new InvalidOperationException(
                $"{key}: the administrator could not be created: {string.Join(" ", result.Errors.Select(e => e.Description))}");
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Created the bootstrap administrator account.")]
    private static partial void LogAdminCreated(ILogger logger);
}
