using System.Globalization;

namespace Plinto.Bench.Tests;

/// <summary>
/// The report's arithmetic (bench/Plinto.Bench/Report.cs) on result directories laid out as bench/run.sh writes them:
/// which windows are paired, what is a median of ratios and what a ratio of medians, CPU per request and per flow,
/// and the sign-in share against each round's own hash rate. The inputs are chosen so that the wrong formula gives a
/// different figure.
/// </summary>
internal sealed class ReportTests
{
    private string results = null!;
    private string markdown = null!;

    [SetUp]
    public void CreateResultsDirectory()
    {
        results = Directory.CreateTempSubdirectory("plinto-bench-report-").FullName;
        markdown = Path.Combine(results, "performance.md");
        Write("raw.json", """
            {"cores":2,"rs256_per_s_all":6500,"rs256_per_s_1":3400,"es256_per_s_all":74000,"es256_per_s_1":40000,
             "pbkdf2_iterations":220000,"pbkdf2_per_s_all":20.0,"pbkdf2_per_s_1":10.0}
            """);
        Write("host.json", """
            {"cpu":"Test CPU","memory":"24 GiB","os":"Test OS","plinto":"abc1234","postgres":"15.18","peer":"9.13.3",
             "node":"v20.20.2","wrk":"wrk -t2 -c16","command":"./build.sh bench","peak_rss_mb":"330","peak_rss_es256_mb":"300",
             "idle_rss_mb":"169","start_seconds":"1.94","starts":"2.59 2.63 1.94 1.87 1.91","idle_rsses":"169 169 169 169 169",
             "first_start_seconds":"4.26"}
            """);
    }

    [TearDown]
    public void DeleteResultsDirectory() => Directory.Delete(results, recursive: true);

    [Test]
    public void A_paired_row_is_the_median_of_the_per_round_ratios_not_the_ratio_of_the_medians()
    {
        // Per round 100/300, 200/100, 300/200 = 0.33, 2.00, 1.50: median 1.50. The medians alone (200 / 200) would say 1.00.
        Window("cc.plinto", 1, rps: 100, p50: 9, p99: 30);
        Window("cc.plinto", 2, rps: 200, p50: 5, p99: 20);
        Window("cc.plinto", 3, rps: 300, p50: 3, p99: 10);
        Window("cc.peer", 1, rps: 300, p50: 3, p99: 11);
        Window("cc.peer", 2, rps: 100, p50: 9, p99: 31, errors: 2);
        Window("cc.peer", 3, rps: 200, p50: 5, p99: 21, errors: 1);

        var row = Row(ReportText(), "client_credentials, RS256 access tokens");

        Assert.Multiple(() =>
        {
            Assert.That(row[1], Is.EqualTo("200 requests/s"), "Plinto's median window");
            Assert.That(row[2], Is.EqualTo("5.0 / 20.0"), "the latencies of that same window");
            Assert.That(row[3], Is.EqualTo("0"));
            Assert.That(row[4], Is.EqualTo("200 requests/s"));
            Assert.That(row[5], Is.EqualTo("5.0 / 21.0"));
            Assert.That(row[6], Is.EqualTo("3"), "errors summed over every round");
            Assert.That(row[7], Is.EqualTo("**1.50×**"));
            Assert.That(row[8], Is.EqualTo("0.33 / 2.00 / 1.50"));
        });
    }

    [Test]
    public void Runs_from_different_starts_are_compared_by_the_ratio_of_their_medians()
    {
        // Plinto with ES256 against the peer with RS256 are not alternating windows: 500 / 200.
        Window("cc.plinto-es256", 1, rps: 400);
        Window("cc.plinto-es256", 2, rps: 600);
        Window("cc.plinto-es256", 3, rps: 500);
        Window("cc.peer", 1, rps: 300);
        Window("cc.peer", 2, rps: 100);
        Window("cc.peer", 3, rps: 200);

        var row = Row(ReportText(), "client_credentials, Plinto ES256 vs peer RS256");

        Assert.Multiple(() =>
        {
            Assert.That(row[7], Is.EqualTo("**2.50×**"));
            Assert.That(row[8], Is.EqualTo("separate runs"));
        });
    }

    [Test]
    public void A_scenario_that_did_not_run_says_so_in_both_tables()
    {
        Window("cc.plinto", 1, rps: 100);
        Window("cc.peer", 1, rps: 100);

        var text = ReportText();

        Assert.Multiple(() =>
        {
            Assert.That(Row(text, "refresh_token (rotated every use)")[1], Is.EqualTo("not run"));
            Assert.That(Row(text, "refresh_token (rotated every use)", table: 2)[1], Is.EqualTo("n/a"));
        });
    }

    [Test]
    public void CPU_per_request_and_per_core_are_medians_of_the_rounds_with_PostgreSQL_counted_separately()
    {
        // Plinto: 10,000 requests in 10 s per round, 6.0 / 7.0 / 8.0 s of CPU (0.6 / 0.7 / 0.8 ms), PostgreSQL 1.0 s (0.1 ms).
        // Peer: 0.90 / 0.56 / 0.96 ms. Per round 1.50 / 0.80 / 1.20: median 1.20 (the medians alone: 0.90 / 0.7 = 1.29);
        // with PostgreSQL counted 1.29 / 0.70 / 1.07: median 1.07 (the medians alone: 0.90 / 0.8 = 1.13).
        foreach (var (round, plintoCpu, peerCpu) in new[] { (1, 6.0, 9.0), (2, 7.0, 5.6), (3, 8.0, 9.6) })
        {
            Window("cc.plinto", round, rps: 1000, requests: 10_000, seconds: 10, serverCpu: plintoCpu, dbCpu: 1.0);
            Window("cc.peer", round, rps: 1000, requests: 10_000, seconds: 10, serverCpu: peerCpu, dbCpu: 0);
        }

        var row = Row(ReportText(), "client_credentials, RS256 access tokens", table: 2);

        Assert.Multiple(() =>
        {
            Assert.That(row[1], Is.EqualTo("0.700"), "Plinto's ms CPU per request");
            Assert.That(row[2], Is.EqualTo("0.100"), "PostgreSQL's");
            Assert.That(row[3], Is.EqualTo("0.900"), "the peer's");
            Assert.That(row[4], Is.EqualTo("**1.20×**"));
            Assert.That(row[5], Is.EqualTo("1.07×"));
            Assert.That(row[6], Is.EqualTo("0.70 + 0.10 / 0.90"), "cores busy: CPU seconds per second of window");
        });
    }

    [Test]
    public void A_flow_is_two_requests_in_the_rate_and_in_the_CPU_per_flow()
    {
        // 3,600 requests in 10 s are 1,800 flows: 180 flows/s, and 9 s of CPU is 5 ms per flow.
        Window("code.plinto", 1, rps: 360, requests: 3_600, seconds: 10, serverCpu: 9, dbCpu: 1.8);
        Window("code.peer", 1, rps: 1440, requests: 14_400, seconds: 10, serverCpu: 10.8, dbCpu: 0);

        var text = ReportText();
        var rates = Row(text, "authorization code + PKCE with a session (authorize + token)");
        var cpu = Row(text, "authorization code + PKCE with a session (authorize + token)", table: 2);

        Assert.Multiple(() =>
        {
            Assert.That(rates[1], Is.EqualTo("180 flows/s"));
            Assert.That(rates[4], Is.EqualTo("720 flows/s"));
            Assert.That(rates[7], Is.EqualTo("**0.25×**"));
            Assert.That(cpu[1], Is.EqualTo("5.000 per flow"));
            Assert.That(cpu[2], Is.EqualTo("1.000"));
            Assert.That(cpu[3], Is.EqualTo("1.500 per flow"));
            Assert.That(cpu[4], Is.EqualTo("**0.30×**"));
            Assert.That(cpu[5], Is.EqualTo("0.25×"));
        });
    }

    [Test]
    public void The_peer_with_a_PostgreSQL_store_has_its_own_rows_and_its_database_CPU_counted_with_it()
    {
        // Plinto: 1,000 requests/s; 16 s and 4.8 s of CPU over 10,000 requests are 1.6 and 0.48 ms per request. Peer with its store: 800 requests/s, 11.2 s and 4.0 s over 8,000 requests are 1.4 and 0.5 ms.
        // Per core 1.4 / 1.6 = 0.88×; with PostgreSQL counted on both sides (1.4 + 0.5) / (1.6 + 0.48) = 0.91× (counting
        // the database for Plinto alone would give 1.4 / 2.08 = 0.67×). The in-memory peer's row is measured on its own.
        Window("refresh.plinto-pgpeer", 1, rps: 1000, requests: 10_000, seconds: 10, serverCpu: 16, dbCpu: 4.8);
        Window("refresh.peer-pg", 1, rps: 800, requests: 8_000, seconds: 10, serverCpu: 11.2, dbCpu: 4.0);
        Window("refresh.plinto", 1, rps: 900, requests: 9_000, seconds: 10, serverCpu: 14.4, dbCpu: 4.3);
        Window("refresh.peer", 1, rps: 1800, requests: 18_000, seconds: 10, serverCpu: 17.1, dbCpu: 0);

        var text = ReportText();
        var rates = Row(text, "refresh_token, peer with a PostgreSQL store");
        var cpu = Row(text, "refresh_token, peer with a PostgreSQL store", table: 2);
        var inMemory = Row(text, "refresh_token (rotated every use)");

        Assert.Multiple(() =>
        {
            Assert.That(rates[1], Is.EqualTo("1,000 requests/s"));
            Assert.That(rates[4], Is.EqualTo("800 requests/s"));
            Assert.That(rates[7], Is.EqualTo("**1.25×**"));
            Assert.That(cpu[1], Is.EqualTo("1.600"));
            Assert.That(cpu[2], Is.EqualTo("0.480"));
            Assert.That(cpu[3], Is.EqualTo("1.400 + 0.500 PostgreSQL"));
            Assert.That(cpu[4], Is.EqualTo("**0.88×**"));
            Assert.That(cpu[5], Is.EqualTo("0.91×"));
            Assert.That(cpu[6], Is.EqualTo("1.60 + 0.48 / 1.12 + 0.40"));
            Assert.That(inMemory[7], Is.EqualTo("**0.50×**"), "the in-memory peer's row keeps its own windows");
            Assert.That(text, Does.Contain("| authorization code + PKCE, peer with a PostgreSQL store | not run |"));
        });
    }

    [Test]
    public void Paired_rows_with_a_missing_CPU_reading_are_not_compared()
    {
        Window("cc.plinto", 1, rps: 1000, requests: 10_000, seconds: 10, serverCpu: 7, dbCpu: 0);
        Window("cc.peer", 1, rps: 1000, requests: 10_000, seconds: 10, serverCpu: 7, dbCpu: 0);
        Window("cc.plinto", 2, rps: 1000);
        Window("cc.peer", 2, rps: 1000, requests: 10_000, seconds: 10, serverCpu: 7, dbCpu: 0);

        Assert.That(Row(ReportText(), "client_credentials, RS256 access tokens", table: 2)[1], Is.EqualTo("n/a"));
    }

    [Test]
    public void A_window_that_measured_nothing_fails_the_report_instead_of_dividing_by_zero()
    {
        Window("cc.plinto", 1, rps: 0, requests: 0, seconds: 10, serverCpu: 0, dbCpu: 0);
        Window("cc.peer", 1, rps: 1000, requests: 10_000, seconds: 10, serverCpu: 7, dbCpu: 0);

        var error = Assert.Throws<InvalidOperationException>(() => Report.Run(results, markdown));

        Assert.Multiple(() =>
        {
            Assert.That(error!.Message, Does.StartWith("cc.plinto.1:"));
            Assert.That(File.Exists(markdown), Is.False, "nothing appended");
        });
    }

    [Test]
    public void Sign_in_is_compared_with_the_hash_rate_measured_after_each_round()
    {
        // Shares 9/10, 10/20, 19/20 = 90 %, 50 %, 95 %: median 90 %. The medians alone (10 / 20) would say 50 %.
        foreach (var (round, rate, limit) in new[] { (1, 9.0, 10.0), (2, 10.0, 20.0), (3, 19.0, 20.0) })
        {
            Window("signin.plinto", round, rps: rate);
            Window("signin.peer", round, rps: 10);
            Write($"signin.raw.{round}.json", $$"""{"pbkdf2_per_s_all":{{limit.ToString(CultureInfo.InvariantCulture)}}}""");
        }

        var text = ReportText();

        Assert.That(text, Does.Contain("Password sign-in reaches **90 %** of the raw hash rate (median of the rounds: 90 % / 50 % / 95 %"));
    }

    [Test]
    public void Sign_in_windows_without_their_hash_rate_fail_the_report()
    {
        Window("signin.plinto", 1, rps: 9);
        Window("signin.plinto", 2, rps: 9);
        Window("signin.peer", 1, rps: 10);
        Window("signin.peer", 2, rps: 10);
        Write("signin.raw.1.json", """{"pbkdf2_per_s_all":10}""");

        var error = Assert.Throws<InvalidOperationException>(() => Report.Run(results, markdown));

        Assert.That(error!.Message, Does.Contain("2 sign-in windows but 1 hash-rate measurements"));
    }

    [Test]
    public void The_memory_and_start_figures_come_from_the_host_file()
    {
        Assert.That(ReportText(), Does.Contain(
            "idle RSS 3 s after ready 169 MB (169 169 169 169 169), start to ready 1.94 s (2.59 2.63 1.94 1.87 1.91) (first start, creating the database: 4.26 s)"));
    }

    private string ReportText()
    {
        Assert.That(Report.Run(results, markdown), Is.Zero);
        return File.ReadAllText(markdown);
    }

    /// <summary>The cells of a scenario's row in the throughput table (1) or the CPU table (2), title first.</summary>
    private static string[] Row(string text, string title, int table = 1)
    {
        var rows = text.Split('\n').Where(line => line.StartsWith($"| {title} |", StringComparison.Ordinal)).ToList();
        Assert.That(rows, Has.Count.EqualTo(2), $"one row for {title} in each table");
        return rows[table - 1].Trim().Trim('|').Split('|').Select(cell => cell.Trim()).ToArray();
    }

    /// <summary>One measured window as bench/lua/common.lua writes it, and its CPU reading as bench/run.sh writes it.</summary>
    private void Window(string name, int round, double rps, double p50 = 1, double p99 = 2, int errors = 0,
        int? requests = null, double seconds = 10, double? serverCpu = null, double? dbCpu = null)
    {
        var n = requests ?? (int)(rps * seconds);
        Write($"{name}.{round}.json", string.Create(CultureInfo.InvariantCulture,
            $$"""{"requests":{{n}},"seconds":{{seconds:0.000}},"rps":{{rps:0.0}},"p50_ms":{{p50:0.000}},"p99_ms":{{p99:0.000}},"errors":{{errors}}}"""));
        if (serverCpu is { } server)
        {
            Write($"{name}.{round}.cpu.json", string.Create(CultureInfo.InvariantCulture,
                $$"""{"server_cpu_s":{{server:0.00}},"db_cpu_s":{{dbCpu ?? 0:0.00}}}"""));
        }
    }

    private void Write(string file, string json) => File.WriteAllText(Path.Combine(results, file), json);
}
