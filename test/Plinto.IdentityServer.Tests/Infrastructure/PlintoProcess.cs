using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Plinto.IdentityServer.Tests.Infrastructure;

/// <summary>
/// Plinto as its own operating-system process (the built host next to the tests, run with <c>dotnet</c>),
/// configured through environment variables the way a container is. Output is kept for assertions and failures.
/// </summary>
internal sealed class PlintoProcess : IAsyncDisposable
{
    private readonly Process process;
    private readonly StringBuilder output = new();

    private PlintoProcess(Process process, int port)
    {
        this.process = process;
        Port = port;
        BaseAddress = new Uri($"http://127.0.0.1:{port}");
    }

    public int Port { get; }

    public Uri BaseAddress { get; }

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
        var port = FreePort();
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
            ? $"http://127.0.0.1:{port}"
            : $"http://127.0.0.1:{port};http://127.0.0.1:{extraPort}";
        start.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (key, value) in settings)
        {
            if (value is not null)
            {
                start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
            }
        }

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var node = new PlintoProcess(process, port);
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
        using var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + timeout;
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
    }
}
