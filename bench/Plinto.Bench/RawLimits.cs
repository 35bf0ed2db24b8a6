using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Plinto.Bench;

/// <summary>
/// What the machine can do at most, so each server figure reads as a fraction of its limit: signatures per second
/// (RS256 and ES256, the token signing algorithms) and password hashes per second with Plinto's parameters
/// (PBKDF2-HMAC-SHA512, ASP.NET Core Identity's V3 format), on one thread and on every core.
/// </summary>
internal static class RawLimits
{
    public static int Run(int pbkdf2Iterations)
    {
        using var rsa = RSA.Create(2048);
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var payload = Encoding.UTF8.GetBytes(new string('x', 400));
        var salt = RandomNumberGenerator.GetBytes(16);

        var results = new Dictionary<string, double>
        {
            ["cores"] = Environment.ProcessorCount,
            ["pbkdf2_iterations"] = pbkdf2Iterations,
            ["rs256_per_s_1"] = Rate(1, TimeSpan.FromSeconds(3), () => rsa.SignData(payload, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)),
            ["rs256_per_s_all"] = Rate(Environment.ProcessorCount, TimeSpan.FromSeconds(3), () => rsa.SignData(payload, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)),
            ["es256_per_s_1"] = Rate(1, TimeSpan.FromSeconds(3), () => ec.SignData(payload, HashAlgorithmName.SHA256)),
            ["es256_per_s_all"] = Rate(Environment.ProcessorCount, TimeSpan.FromSeconds(3), () => ec.SignData(payload, HashAlgorithmName.SHA256)),
            ["pbkdf2_per_s_1"] = Rate(1, TimeSpan.FromSeconds(5), Pbkdf2(pbkdf2Iterations, salt)),
            ["pbkdf2_per_s_all"] = Rate(Environment.ProcessorCount, TimeSpan.FromSeconds(5), Pbkdf2(pbkdf2Iterations, salt)),
        };

        return Write(results);
    }

    /// <summary>
    /// The password hash rate on every core alone: measured between the servers' sign-in windows, so the sign-in
    /// rate is read against the machine's speed of that minute (it drifts on a shared VM).
    /// </summary>
    public static int RunPbkdf2(int pbkdf2Iterations) => Write(new Dictionary<string, double>
    {
        ["pbkdf2_per_s_all"] = Rate(Environment.ProcessorCount, TimeSpan.FromSeconds(5), Pbkdf2(pbkdf2Iterations, RandomNumberGenerator.GetBytes(16))),
    });

    private static Action Pbkdf2(int iterations, byte[] salt) =>
        () => Rfc2898DeriveBytes.Pbkdf2("correct horse battery staple"u8, salt, iterations, HashAlgorithmName.SHA512, 32);

    private static int Write(Dictionary<string, double> results)
    {
        Console.WriteLine(JsonSerializer.Serialize(results.ToDictionary(p => p.Key, p => Math.Round(p.Value, 1))));
        return 0;
    }

    /// <summary>Operations per second over <paramref name="duration"/> on <paramref name="threads"/> threads.</summary>
    private static double Rate(int threads, TimeSpan duration, Action operation)
    {
        operation(); // warm-up
        var counts = new long[threads];
        var watch = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, threads).Select(i => new Thread(() =>
        {
            while (watch.Elapsed < duration)
            {
                operation();
                counts[i]++;
            }
        })).ToList();
        workers.ForEach(t => t.Start());
        workers.ForEach(t => t.Join());
        return counts.Sum() / watch.Elapsed.TotalSeconds;
    }
}
