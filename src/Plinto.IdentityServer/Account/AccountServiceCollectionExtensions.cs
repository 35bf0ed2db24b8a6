using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using Plinto.IdentityServer.Account.Email;
using Plinto.IdentityServer.Account.Passwords;
using Plinto.IdentityServer.Data;
using Plinto.IdentityServer.Hosting;

namespace Plinto.IdentityServer.Account;

internal static class AccountServiceCollectionExtensions
{
    /// <summary>PBKDF2-HMAC-SHA512 iterations of a password hash (bench/run.sh reads this line).</summary>
    public const int PasswordIterations = 220_000;

    public static IHostApplicationBuilder AddPlintoAccount(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;

        services.AddIdentity<PlintoUser, IdentityRole>(options =>
            {
                options.User.RequireUniqueEmail = true;
                options.SignIn.RequireConfirmedEmail = true;

                // NIST SP 800-63B §3.1.1.2: length and a blocklist, no composition rules.
                options.Password.RequiredLength = 8;
                options.Password.RequireDigit = false;
                options.Password.RequireLowercase = false;
                options.Password.RequireUppercase = false;
                options.Password.RequireNonAlphanumeric = false;
                options.Password.RequiredUniqueChars = 1;

                // A short, self-expiring lockout: an attacker can slow a victim down, never lock them out for good.
                options.Lockout.AllowedForNewUsers = true;
                options.Lockout.MaxFailedAccessAttempts = 5;
                options.Lockout.DefaultLockoutTimeSpan = TimeSpan.FromMinutes(5);
            })
            .AddEntityFrameworkStores<PlintoDbContext>()
            .AddUserManager<PlintoUserManager>()
            .AddDefaultTokenProviders()
            .AddPasswordValidator<PasswordLengthValidator>()
            .AddPasswordValidator<CommonPasswordValidator>()
            .AddPasswordValidator<BreachedPasswordValidator>();
        services.AddOptions<PasswordPolicyOptions>().BindConfiguration(PasswordPolicyOptions.Section)
            .Validate(o => o.BreachedPasswordsPath is null || File.Exists(o.BreachedPasswordsPath) || Directory.Exists(o.BreachedPasswordsPath),
                "Plinto:Passwords:BreachedPasswordsPath does not name an existing file or folder.")
            .Validate(o => o.BreachedMinimumCount >= 1, "Plinto:Passwords:BreachedMinimumCount must be at least 1.")
            .ValidateOnStart();

        // OWASP Password Storage Cheat Sheet: PBKDF2-HMAC-SHA512 with at least 210,000 iterations; 220,000 here (the
        // performance issue's parameter). Older, weaker hashes are upgraded at the next sign-in (PlintoUserManager).
        services.Configure<PasswordHasherOptions>(o => o.IterationCount = PasswordIterations);
        services.Configure<DataProtectionTokenProviderOptions>(o => o.TokenLifespan = TimeSpan.FromHours(2));

        var requireHttps = builder.Configuration.GetPlintoHostOptions().RequireHttps;
        services.ConfigureApplicationCookie(options =>
        {
            PlintoCookies.Apply(options.Cookie, "plinto.session", requireHttps);
            // Lax: the cookie must come along on the top-level GET from a client to /connect/authorize.
            options.Cookie.SameSite = SameSiteMode.Lax;
            options.LoginPath = "/account/signin";
            options.LogoutPath = "/account/signout";
            options.AccessDeniedPath = "/error";
            options.ExpireTimeSpan = Sessions.UserSessions.IdleLifetime;
            options.SlidingExpiration = true;
            // Server-side session records (revocable from the account center), then Identity's security stamp.
            options.Events.OnValidatePrincipal = Sessions.UserSessions.ValidatePrincipalAsync;
        });
        services.ConfigureExternalCookie(options => PlintoCookies.Apply(options.Cookie, "plinto.external", requireHttps));
        services.Configure<Microsoft.AspNetCore.Authentication.Cookies.CookieAuthenticationOptions>(
            IdentityConstants.TwoFactorUserIdScheme, options => PlintoCookies.Apply(options.Cookie, "plinto.2fa", requireHttps));

        services.AddSingleton<PasswordTimingEqualizer>();
        services.AddSingleton<Passwords.PasswordHashing>();
        services.AddScoped<PasswordSignIn>();
        services.AddHttpContextAccessor();
        services.AddScoped<Mfa.SecondFactors>();
        services.AddScoped<Mfa.EmailCodes>();
        services.AddMemoryCache();
        services.AddOptions<Passkeys.PasskeyOptions>().BindConfiguration(Passkeys.PasskeyOptions.Section)
            .Validate(o => o.MaxPerUser is >= 1 and <= 100, "Plinto:Passkeys:MaxPerUser must be between 1 and 100.")
            .Validate(o => o.AllowedOrigins.All(origin => Uri.TryCreate(origin, UriKind.Absolute, out var uri) && uri.AbsolutePath == "/"),
                "Plinto:Passkeys:AllowedOrigins must be origins such as https://id.example.com.")
            .ValidateOnStart();
        services.AddSingleton<IConfigureOptions<IdentityPasskeyOptions>, Passkeys.ConfigureIdentityPasskeyOptions>();
        services.AddScoped<Passkeys.PasskeyCeremonyState>();
        services.AddScoped<Passkeys.Passkeys>();
        services.AddScoped<Sessions.UserSessions>();
        services.AddSingleton<Sessions.SessionStateCache>();
        services.AddSingleton<IClusterCache>(sp => sp.GetRequiredService<Sessions.SessionStateCache>());
        services.AddScoped<Mfa.MfaSignIn>();
        services.AddOptions<Mfa.MfaOptions>().BindConfiguration(Mfa.MfaOptions.Section);
        services.AddAccountThrottling();
        services.Configure<SecurityStampValidatorOptions>(o =>
        {
            // How soon a password change or reset ends the other sessions of the account.
            o.ValidationInterval = TimeSpan.FromMinutes(5);
            o.OnRefreshingPrincipal = SessionClaims.CarryOver;
        });
        builder.AddPlintoEmail();
        services.AddHostedService<AdminBootstrapService>();
        services.AddOptions<BootstrapOptions>().BindConfiguration(BootstrapOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        return builder;
    }

    private static void AddPlintoEmail(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<EmailOptions>().BindConfiguration(EmailOptions.Section).ValidateDataAnnotations()
            // Data annotations do not reach the nested SMTP settings; and the binder takes any number for an enum.
            .Validate(o => o.Smtp.Port is >= 1 and <= 65535, "Plinto:Email:Smtp:Port must be between 1 and 65535.")
            .Validate(o => Enum.IsDefined(o.Smtp.Security),
                "Plinto:Email:Smtp:Security must be Auto, None, SslOnConnect, StartTls or StartTlsWhenAvailable.")
            .ValidateOnStart();
        services.AddSingleton<MailQueue>();
        services.AddHostedService<MailDispatcher>();
        services.AddTransient<AccountEmailSender>();
        services.AddTransient<IEmailSender<PlintoUser>>(sp => sp.GetRequiredService<AccountEmailSender>());

        var email = builder.Configuration.GetSection(EmailOptions.Section).Get<EmailOptions>() ?? new EmailOptions();
        if (!string.IsNullOrWhiteSpace(email.Smtp.Host))
        {
            services.AddSingleton<IMailTransport, SmtpMailTransport>();
            return;
        }

        if (string.IsNullOrWhiteSpace(email.PickupDirectory) && !builder.Environment.IsDevelopment())
        {
            throw new OptionsValidationException(EmailOptions.Section, typeof(EmailOptions),
                ["Plinto:Email:Smtp:Host is required outside Development (or set Plinto:Email:PickupDirectory to write messages to a folder)."]);
        }

        services.AddSingleton(sp =>
        {
            var configured = sp.GetRequiredService<IOptions<EmailOptions>>().Value.PickupDirectory;
            var host = sp.GetRequiredService<IOptions<PlintoHostOptions>>().Value;
            var path = string.IsNullOrWhiteSpace(configured)
                ? Path.Combine(host.ResolveDataDirectory(sp.GetRequiredService<IHostEnvironment>()), "mail")
                : Path.GetFullPath(configured, sp.GetRequiredService<IHostEnvironment>().ContentRootPath);
            Directory.CreateDirectory(path);
            return new MailDropFolder(path);
        });
        services.AddSingleton<IMailTransport, PickupDirectoryMailTransport>();
    }
}
