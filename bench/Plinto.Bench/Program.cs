using Plinto.Bench;

// bench/run.sh drives these; see docs/performance.md.
//   raw <iterations>                     RSA-2048 / ECDSA P-256 signatures and PBKDF2 hashes per second (JSON)
//   raw-pbkdf2 <iterations>              PBKDF2 hashes per second on every core only (between sign-in windows)
//   setup plinto|peer <base-url> <file>  signs in, collects codes, refresh and access tokens, writes a Lua table for wrk
//   report <results-dir> <markdown-file> appends the comparison table to docs/performance.md
return args switch
{
    ["raw", var iterations] => RawLimits.Run(int.Parse(iterations, System.Globalization.CultureInfo.InvariantCulture)),
    ["raw-pbkdf2", var iterations] => RawLimits.RunPbkdf2(int.Parse(iterations, System.Globalization.CultureInfo.InvariantCulture)),
    ["setup", var server, var baseUrl, var file] => await Setup.RunAsync(server, new Uri(baseUrl), file),
    ["report", var results, var markdown] => Report.Run(results, markdown),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: Plinto.Bench raw|raw-pbkdf2 <pbkdf2-iterations> | setup plinto|peer <base-url> <lua-file> | report <results-dir> <markdown-file>");
    return 2;
}
