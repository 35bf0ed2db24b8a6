using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;

namespace Plinto.IdentityServer.Tests.Infrastructure;

/// <summary>
/// Plinto as its own operating-system process (the built host next to the tests, run with <c>dotnet</c>),
/// configured through environment variables the way a container is. Output is kept for assertions and failures.
/// The node listens on 127.0.0.1 with port 0: the OS picks the port at the bind (no other process can take it between a
/// choice and the bind), and the node's "Now listening on" line says which one.
/// </summary>
internal sealed partial class PlintoProcess : IAsyncDisposable
{
    private readonly Process process;
    private readonly StringBuilder output = new();
    private readonly int? extraPort;
    private readonly TaskCompletionSource<int> listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private PlintoProcess(Process process, int? extraPort)
    {
        this.process = process;
        this.extraPort = extraPort;
    }

    /// <summary>The port the node bound; known once <see cref="WaitUntilReadyAsync"/> has returned.</summary>
    public int Port => listening.Task.IsCompletedSuccessfully
        ? listening.Task.Result
        : throw new InvalidOperationException("The node has not said where it listens yet: await WaitUntilReadyAsync first.");

    public Uri BaseAddress => new($"http://127.0.0.1:{Port}");

    public bool HasExited => process.HasExited;

    public string Output
    {
        get
        {
            lock (output)
            {
                return output.ToString();
            }
        }
    }

    /// <summary>Starts the host with <paramref name="settings"/> (configuration keys, turned into <c>Plinto__X__Y</c> variables).</summary>
    public static PlintoProcess Start(IReadOnlyDictionary<string, string?> settings, string? command = null, int? extraPort = null)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("exec");
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Plinto.IdentityServer.dll"));
        if (command is not null)
        {
            start.ArgumentList.Add(command);
        }

        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["ASPNETCORE_URLS"] = extraPort is null
            ? "http://127.0.0.1:0"
            : $"http://127.0.0.1:0;http://127.0.0.1:{extraPort}";
        start.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (key, value) in settings)
        {
            if (value is not null)
            {
                start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
            }
        }

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var node = new PlintoProcess(process, extraPort);
        process.OutputDataReceived += (_, e) => node.Append(e.Data);
        process.ErrorDataReceived += (_, e) => node.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return node;
    }

    /// <summary>Runs a command (e.g. <c>migrate</c>) to its end and returns its exit code and output.</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(IReadOnlyDictionary<string, string?> settings, string command)
    {
        await using var node = Start(settings, command);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await node.process.WaitForExitAsync(timeout.Token);
        node.process.WaitForExit(); // drains the redirected output
        return (node.process.ExitCode, node.Output);
    }

    public async Task WaitUntilReadyAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!listening.Task.IsCompleted)
        {
            if (process.HasExited)
            {
                throw new AssertionException($"Node exited with {process.ExitCode} before it listened:\n{Output}");
            }

            if (DateTime.UtcNow >= deadline)
            {
                throw new AssertionException($"Node did not say where it listens within {timeout}:\n{Output}");
            }

            await Task.WhenAny(listening.Task, Task.Delay(100));
        }

        using var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
            {
                throw new AssertionException($"Node on port {Port} exited with {process.ExitCode}:\n{Output}");
            }

            try
            {
                using var response = await client.GetAsync("/health/ready");
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(200);
        }

        throw new AssertionException($"Node on port {Port} not ready after {timeout}:\n{Output}");
    }

    /// <summary>SIGKILL: no graceful shutdown, in-flight requests die with the process.</summary>
    public void Kill()
    {
        process.Kill(entireProcessTree: true);
        process.WaitForExit();
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            output.AppendLine(line);
        }

        // Kestrel's line for each address (Microsoft.Hosting.Lifetime, Information); the other one is the metrics port.
        if (ListeningOn().Match(line) is { Success: true } match
            && int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) is var port
            && port != extraPort)
        {
            listening.TrySetResult(port);
        }
    }

    [GeneratedRegex(@"Now listening on: http://127\.0\.0\.1:(\d+)")]
    private static partial Regex ListeningOn();
}
