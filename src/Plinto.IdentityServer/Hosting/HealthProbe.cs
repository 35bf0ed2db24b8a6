namespace Plinto.IdentityServer.Hosting;

/// <summary>
/// <c>Plinto.IdentityServer healthcheck</c>: asks the running server on this machine for /health/live and exits
/// 0 or 1. Container images have no curl; a HEALTHCHECK can run the binary itself.
/// </summary>
internal static class HealthProbe
{
    public static async Task<int> RunAsync()
    {
        var ports = Environment.GetEnvironmentVariable("ASPNETCORE_HTTP_PORTS");
        var port = string.IsNullOrWhiteSpace(ports) ? "8080" : ports.Split([';', ','], StringSplitOptions.RemoveEmptyEntries)[0];
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        try
        {
            using var response = await client.GetAsync(new Uri($"http://127.0.0.1:{port}/health/live"));
            return response.IsSuccessStatusCode ? 0 : 1;
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException)
        {
            return 1;
        }
    }
}
