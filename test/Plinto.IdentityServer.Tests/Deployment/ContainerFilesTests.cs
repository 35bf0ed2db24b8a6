using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace Plinto.IdentityServer.Tests.Deployment;

/// <summary>
/// No container engine runs here, so deploy/Dockerfile and deploy/docker-compose.yml are checked statically:
/// they parse, agree with each other and with docs/configuration.md, and keep the rules (non-root, health check).
/// </summary>
internal sealed partial class ContainerFilesTests
{
    private static string Deploy(string file) => Path.Combine(Manifests.RepositoryRoot, "deploy", file);

    [Test]
    public void The_compose_file_parses_and_sets_only_documented_keys()
    {
        var compose = Manifests.Parse(File.ReadAllText(Deploy("docker-compose.yml"))).Single();
        var plinto = (YamlMappingNode)compose.At("services.plinto")!;
        var environment = ((YamlMappingNode)plinto.At("environment")!).Children.Keys.Select(k => k.ToString()).ToList();

        Assert.That(environment, Does.Contain("Plinto__Database__ConnectionString").And.Contain("Plinto__Issuer"));
        var documented = Manifests.DocumentedKeys();
        Assert.That(environment.Where(k => k.StartsWith("Plinto__", StringComparison.Ordinal) && !documented.Contains(Manifests.Normalize(k))), Is.Empty,
            "keys the compose file sets but docs/configuration.md does not document");
        Assert.That(plinto.Str("depends_on.postgres.condition"), Is.EqualTo("service_healthy"));
        Assert.That(compose.At("services.postgres.healthcheck"), Is.Not.Null);
    }

    [Test]
    public void Every_variable_the_compose_file_reads_is_in_the_example_env_file()
    {
        var compose = File.ReadAllText(Deploy("docker-compose.yml"));
        var used = Variable().Matches(compose).Select(m => m.Groups["name"].Value).ToHashSet();
        var example = File.ReadAllLines(Deploy(".env.example"))
            .Where(line => line.Contains('=', StringComparison.Ordinal) && !line.TrimStart().StartsWith('#'))
            .Select(line => line[..line.IndexOf('=', StringComparison.Ordinal)].Trim())
            .ToHashSet();
        Assert.That(used, Is.Not.Empty);
        Assert.That(used.Except(example), Is.Empty, "variables deploy/.env.example does not mention");
    }

    [Test]
    public void The_image_runs_as_non_root_with_a_health_check_on_the_port_it_exposes()
    {
        var lines = File.ReadAllLines(Deploy("Dockerfile")).Select(l => l.Trim()).ToList();
        var runtime = lines.SkipWhile(l => !l.StartsWith("FROM mcr.microsoft.com/dotnet/aspnet:", StringComparison.Ordinal)).ToList();
        Assert.That(runtime, Is.Not.Empty, "a runtime stage on the ASP.NET Core image");
        Assert.Multiple(() =>
        {
            Assert.That(runtime.Last(l => l.StartsWith("USER ", StringComparison.Ordinal)), Is.EqualTo("USER $APP_UID"));
            Assert.That(runtime.Any(l => l.StartsWith("HEALTHCHECK ", StringComparison.Ordinal) && l.Contains("\"healthcheck\"", StringComparison.Ordinal)), Is.True);
            Assert.That(runtime, Does.Contain("EXPOSE 8080"));
            Assert.That(runtime.Any(l => l.Contains("ASPNETCORE_HTTP_PORTS=8080", StringComparison.Ordinal)), Is.True);
            Assert.That(runtime.Any(l => l.StartsWith("COPY --from=build", StringComparison.Ordinal)), Is.True, "multi-stage: only the published output");
            Assert.That(runtime[0], Does.Contain("chiseled"), "the small, shell-less runtime image");
            Assert.That(runtime.Where(l => l.StartsWith("RUN ", StringComparison.Ordinal)), Is.Empty, "a chiseled image has no shell to RUN anything");
            Assert.That(runtime.Any(l => l.Contains("--chown=1654:1654", StringComparison.Ordinal)), Is.True, "the data folder belongs to APP_UID");
        });

        // Every file the build stage copies exists.
        foreach (var copy in lines.Where(l => l.StartsWith("COPY ", StringComparison.Ordinal) && !l.Contains("--from", StringComparison.Ordinal)))
        {
            var sources = copy.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1..^1];
            foreach (var source in sources)
            {
                Assert.That(File.Exists(Path.Combine(Manifests.RepositoryRoot, source)) || Directory.Exists(Path.Combine(Manifests.RepositoryRoot, source)), Is.True, copy);
            }
        }
    }

    [Test]
    public void The_chart_and_the_image_agree_on_the_user_and_the_port()
    {
        var values = Manifests.Parse(File.ReadAllText(Path.Combine(Manifests.Chart, "values.yaml"))).Single();
        // APP_UID of the .NET 8+ images.
        Assert.That(values.Str("podSecurityContext.runAsUser"), Is.EqualTo("1654"));
        Assert.That(File.ReadAllText(Path.Combine(Manifests.Chart, "templates", "deployment.yaml")), Does.Contain("containerPort: 8080"));
    }

    [GeneratedRegex(@"\$\{(?<name>[A-Z0-9_]+)")]
    private static partial Regex Variable();
}
