using System.Reflection;
using System.Runtime.Loader;

namespace Plinto.IdentityServer.Data;

/// <summary>
/// The migration projects reference the host, so the host cannot reference them: EF Core loads the
/// configured provider's migrations assembly by name, and this resolver finds it next to the host.
/// </summary>
internal static class MigrationsAssemblies
{
    private static int registered;

    public static void RegisterResolver()
    {
        if (Interlocked.Exchange(ref registered, 1) == 1)
        {
            return;
        }

        AssemblyLoadContext.Default.Resolving += static (context, name) =>
        {
            if (name.Name is null || !name.Name.StartsWith("Plinto.IdentityServer.Migrations.", StringComparison.Ordinal))
            {
                return null;
            }

            var path = Path.Combine(AppContext.BaseDirectory, name.Name + ".dll");
            return File.Exists(path) ? context.LoadFromAssemblyPath(path) : null;
        };
    }

    /// <summary>Fails early, naming the missing file, rather than deep inside EF Core.</summary>
    public static void EnsureAvailable(DatabaseProvider provider)
    {
        var name = PlintoDbContextOptions.MigrationsAssemblyName(provider);
        try
        {
            Assembly.Load(new AssemblyName(name));
        }
        catch (FileNotFoundException)
        {
            throw new InvalidOperationException(
                $"The migrations for Plinto:Database:Provider '{provider}' ({name}.dll) are not next to the host in " +
                $"'{AppContext.BaseDirectory}'. Build the host with 'dotnet build src/Plinto.IdentityServer' or publish it, which copies them.");
        }
    }
}
