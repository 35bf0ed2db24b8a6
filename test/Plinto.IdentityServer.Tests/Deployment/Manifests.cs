using System.Diagnostics;
using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace Plinto.IdentityServer.Tests.Deployment;

/// <summary>Repository files and the Helm binary the deployment tests read (build.sh fetches Helm into .tools/).</summary>
internal static partial class Manifests
{
    public static string RepositoryRoot { get; } = FindRoot();

    public static string Chart => Path.Combine(RepositoryRoot, "helm", "plinto-identityserver");

    public static string ExampleValues => Path.Combine(Chart, "ci", "example-values.yaml");

    public static string Helm
    {
        get
        {
            var helm = Environment.GetEnvironmentVariable("PLINTO_HELM") ?? Path.Combine(RepositoryRoot, ".tools", "helm", "helm");
            if (!File.Exists(helm))
            {
                throw new InvalidOperationException($"Helm not found at {helm}. Run the tests with ./build.sh test, which fetches it.");
            }

            return helm;
        }
    }

    /// <summary>Runs <c>helm template</c>; returns the exit code, the documents and the error output.</summary>
    public static async Task<(int ExitCode, IReadOnlyList<YamlMappingNode> Documents, string Errors)> TemplateAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo(Helm)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "template", "plinto", Chart }.Concat(arguments))
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, process.ExitCode == 0 ? Parse(await output) : [], await errors);
    }

    public static IReadOnlyList<YamlMappingNode> Parse(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        return stream.Documents.Select(d => d.RootNode).OfType<YamlMappingNode>().ToList();
    }

    public static YamlMappingNode Single(this IReadOnlyList<YamlMappingNode> documents, string kind) =>
        documents.Where(d => d.Str("kind") == kind).ToList() is [var one]
            ? one
            : throw new AssertionException($"Expected exactly one {kind}; kinds: {string.Join(", ", documents.Select(d => d.Str("kind")))}");

    /// <summary>The node at a dotted path (<c>spec.template.spec</c>); list items by index (<c>containers.0</c>).</summary>
    public static YamlNode? At(this YamlNode node, string path)
    {
        YamlNode? current = node;
        foreach (var part in path.Split('.'))
        {
            current = current switch
            {
                YamlMappingNode map => map.Children.TryGetValue(new YamlScalarNode(part), out var child) ? child : null,
                YamlSequenceNode list when int.TryParse(part, out var index) => index < list.Children.Count ? list.Children[index] : null,
                _ => null,
            };
        }

        return current;
    }

    /// <summary>A key that contains dots (annotations such as <c>helm.sh/hook</c>).</summary>
    public static string? Key(this YamlNode node, string key) =>
        node is YamlMappingNode map && map.Children.TryGetValue(new YamlScalarNode(key), out var value) ? (value as YamlScalarNode)?.Value : null;

    public static string? Str(this YamlNode node, string path) => (node.At(path) as YamlScalarNode)?.Value;

    public static IEnumerable<YamlMappingNode> Items(this YamlNode node, string path) =>
        (node.At(path) as YamlSequenceNode)?.Children.OfType<YamlMappingNode>() ?? [];

    /// <summary>
    /// The configuration keys docs/configuration.md documents, normalized (indexes as {}, case-insensitive);
    /// "`Plinto:A:B` / `C`" documents Plinto:A:C too.
    /// </summary>
    public static IReadOnlySet<string> DocumentedKeys()
    {
        var keys = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in File.ReadLines(Path.Combine(RepositoryRoot, "docs", "configuration.md")))
        {
            foreach (Match match in DocumentedKey().Matches(line))
            {
                var key = match.Groups["key"].Value;
                keys.Add(Normalize(key));
                foreach (Capture sibling in match.Groups["sibling"].Captures)
                {
                    keys.Add(Normalize(key[..(key.LastIndexOf(':') + 1)] + sibling.Value));
                }
            }
        }

        return keys;
    }

    /// <summary><c>Plinto__Clients__0__ClientId</c> → <c>plinto:clients:{}:clientid</c>.</summary>
    public static string Normalize(string key) =>
        Index().Replace(key.Replace("__", ":", StringComparison.Ordinal), "{}").ToLowerInvariant();

    private static string FindRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "Plinto.IdentityServer.sln")))
            {
                return folder.FullName;
            }
        }

        throw new InvalidOperationException("The repository root (Plinto.IdentityServer.sln) is not above the test binaries.");
    }

    [GeneratedRegex(@"`(?<key>Plinto:[A-Za-z0-9:{}]+)`(\s*/\s*`(?<sibling>[A-Za-z0-9]+)`)*")]
    private static partial Regex DocumentedKey();

    [GeneratedRegex(@"(?<=:)(\{[a-z]\}|[0-9]+)(?=:|$)")]
    private static partial Regex Index();
}
