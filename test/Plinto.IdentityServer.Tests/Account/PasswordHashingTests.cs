using System.Net;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Plinto.IdentityServer.Account;
using Plinto.IdentityServer.Account.Passwords;
using Plinto.IdentityServer.Data;
using Plinto.IdentityServer.Tests.Infrastructure;

namespace Plinto.IdentityServer.Tests.Account;

/// <summary>
/// Password checks run off the thread pool, at most one per core, so a burst of sign-ins cannot starve the
/// node's other requests (docs/performance.md, lever 6).
/// </summary>
internal sealed class PasswordHashingTests
{
    [Test]
    public async Task Checks_run_on_dedicated_threads_at_most_one_per_core()
    {
        using var hashing = NewHashing();
        var running = 0;
        var most = 0;
        var onPool = 0;

        Task<int> Check(int i) => hashing.RunAsync(() =>
        {
            if (Thread.CurrentThread.IsThreadPoolThread)
            {
                Interlocked.Increment(ref onPool);
            }

            var now = Interlocked.Increment(ref running);
            InterlockedMax(ref most, now);
            Thread.Sleep(60); // a synchronous hash holds its thread, as PBKDF2 does
            Interlocked.Decrement(ref running);
            return Task.FromResult(i);
        });

        var results = await Task.WhenAll(Enumerable.Range(0, Environment.ProcessorCount * 3).Select(Check));

        Assert.That(results, Is.EquivalentTo(Enumerable.Range(0, Environment.ProcessorCount * 3)));
        Assert.That(onPool, Is.Zero, "no check ran on a thread-pool thread");
        Assert.That(most, Is.EqualTo(Environment.ProcessorCount), "every core used, never more");
    }

    [Test]
    public async Task A_failing_check_fails_its_caller_and_frees_its_slot()
    {
        using var hashing = NewHashing();
        for (var i = 0; i < Environment.ProcessorCount + 1; i++)
        {
            Assert.ThrowsAsync<InvalidOperationException>(() => hashing.RunAsync<bool>(() => throw new InvalidOperationException("boom")));
        }

        Assert.That(await hashing.RunAsync(() => Task.FromResult(true)), Is.True, "slots were released after failures");
    }

    [Test]
    public async Task A_sign_in_whose_client_left_while_it_waited_for_a_slot_is_never_hashed()
    {
        // A flood fills every slot; a sign-in behind it is abandoned by its client. Hashing it anyway would keep the
        // line long after the flood stopped (every abandoned request still costs a hash).
        await using var factory = await PlintoFactory.CreateAsync(DatabaseProvider.Sqlite);
        var counting = new CountingHasher();
        await using var node = factory.WithWebHostBuilder(builder => builder.ConfigureTestServices(services =>
            services.AddSingleton<IPasswordHasher<PlintoUser>>(counting)));
        var email = UniqueUser.Email("queued");
        await using (var scope = node.Services.CreateAsyncScope())
        {
            var created = await scope.ServiceProvider.GetRequiredService<UserManager<PlintoUser>>().CreateAsync(
                new PlintoUser { UserName = email, Email = email, EmailConfirmed = true }, UniqueUser.Password);
            Assert.That(created.Succeeded, Is.True);
        }

        var browser = new Browser(node.CreateClient());
        var (_, page) = await browser.OpenAsync("/account/signin");
        var form = page.Forms.First(f => f.Elements.OfType<AngleSharp.Html.Dom.IHtmlInputElement>().Any(i => i.Name == "Input.Email"));
        var fields = form.Elements.OfType<AngleSharp.Html.Dom.IHtmlInputElement>()
            .Where(i => !string.IsNullOrEmpty(i.Name) && i.Type is not "submit" and not "checkbox")
            .ToDictionary(i => i.Name!, i => i.Value);
        fields["Input.Email"] = email;
        fields["Input.Password"] = "a wrong guess 1234";

        var hashing = node.Services.GetRequiredService<PasswordHashing>();
        using var gate = new ManualResetEventSlim();
        var flood = Enumerable.Range(0, Environment.ProcessorCount).Select(_ => hashing.RunAsync(() =>
        {
            gate.Wait();
            return Task.FromResult(0);
        })).ToList();
        // The flood drains 4 s from now, whatever happens to the sign-in behind it.
        var drained = Task.Run(async () =>
        {
            await Task.Delay(TimeSpan.FromSeconds(4));
            gate.Set();
        });
        using (var gone = new CancellationTokenSource(TimeSpan.FromSeconds(1)))
        {
            Assert.CatchAsync<OperationCanceledException>(() => browser.Client.PostAsync("/account/signin", new FormUrlEncodedContent(fields), gone.Token),
                "the client gives up while its check waits");
        }

        await drained;
        await Task.WhenAll(flood);
        // The line is free again: a sign-in now is checked at once (and is the only check that ran).
        var (_, again) = await browser.OpenAsync("/account/signin");
        await browser.SubmitAsync(again, new Dictionary<string, string> { ["Input.Email"] = email, ["Input.Password"] = "another wrong guess" });
        Assert.That(counting.Verifications, Is.EqualTo(1), "the abandoned sign-in was dropped, not hashed after its client left");
    }

    [Test]
    public async Task The_line_of_waiting_checks_is_bounded_and_a_check_whose_client_left_gives_its_place_back()
    {
        var log = new RecordingLog();
        var time = new TestTime();
        using var loggers = new LoggerFactory([log]);
        using var hashing = new PasswordHashing(Options.Create(new RateLimitOptions { PasswordChecksWaitingPerCore = 1 }), time, loggers.CreateLogger<PasswordHashing>());
        var cores = Environment.ProcessorCount;
        var gate = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        // Every slot taken (a free slot is taken before RunAsync returns), then a line of one check per core.
        var running = Enumerable.Range(0, cores).Select(_ => hashing.RunAsync(() => gate.Task)).ToList();
        using var left = new CancellationTokenSource();
        var abandoned = hashing.RunAsync(() => Task.FromResult(-1), left.Token);
        var waiting = Enumerable.Range(1, cores - 1).Select(i => hashing.RunAsync(() => Task.FromResult(i))).ToList();
        Assert.That(running.Concat(waiting).Append(abandoned).Any(t => t.IsCompleted), Is.False, "every slot busy, the line full");

        Assert.ThrowsAsync<PasswordChecksBusyException>(() => hashing.RunAsync(() => Task.FromResult(0)), "a check beyond the line is refused at once");

        // A flood must not flood the log: one warning a minute at most, with the count of refusals since the last one.
        Assert.ThrowsAsync<PasswordChecksBusyException>(() => hashing.RunAsync(() => Task.FromResult(0)));
        Assert.That(Warnings(), Is.EqualTo(new[] { $"Refused 1 password check(s): {cores} were" }));
        time.Advance(TimeSpan.FromSeconds(61));
        Assert.ThrowsAsync<PasswordChecksBusyException>(() => hashing.RunAsync(() => Task.FromResult(0)));
        Assert.That(Warnings(), Is.EqualTo(new[] { $"Refused 1 password check(s): {cores} were", $"Refused 2 password check(s): {cores} were" }));

        await left.CancelAsync();
        Assert.CatchAsync<OperationCanceledException>(() => abandoned);
        var late = hashing.RunAsync(() => Task.FromResult(cores));
        Assert.That(late.IsCompleted, Is.False, "the place of the check whose client left went to the next one, which waits");
        Assert.ThrowsAsync<PasswordChecksBusyException>(() => hashing.RunAsync(() => Task.FromResult(0)), "the line is full again");

        gate.SetResult(0);
        Assert.That(await Task.WhenAll(running), Is.All.Zero);
        Assert.That(await Task.WhenAll(waiting.Append(late)), Is.EquivalentTo(Enumerable.Range(1, cores)));
        Assert.That(await hashing.RunAsync(() => Task.FromResult(42)), Is.EqualTo(42), "the line drained: checks are taken again");

        string[] Warnings() => [.. log.Since(0).Where(e => e.Level == LogLevel.Warning).Select(e => e.Message[..e.Message.IndexOf(" already", StringComparison.Ordinal)])];
    }

    [Test]
    public async Task A_full_line_answers_sign_in_and_sign_up_with_503_the_same_for_an_account_and_an_unknown_address()
    {
        await using var factory = await PlintoFactory.CreateAsync(DatabaseProvider.Sqlite, new Dictionary<string, string?>
        {
            ["Plinto:RateLimits:PasswordChecksWaitingPerCore"] = "1",
        });
        var account = UniqueUser.Email("busy");
        await factory.CreateUserAsync(account, UniqueUser.Password);
        var unknown = UniqueUser.Email("nobody");

        // A flood holds every hashing thread and fills the line behind them.
        var hashing = factory.Services.GetRequiredService<PasswordHashing>();
        var gate = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var flood = Enumerable.Range(0, Environment.ProcessorCount * 2).Select(_ => hashing.RunAsync(() => gate.Task)).ToList();

        var answers = new List<(HttpStatusCode Status, string? RetryAfter, string Message, string? Email)>();
        foreach (var email in new[] { account, unknown })
        {
            var browser = new Browser(factory.CreateClient());
            var (_, page) = await browser.OpenAsync("/account/signin");
            var response = await browser.SubmitAsync(page, new Dictionary<string, string> { ["Input.Email"] = email, ["Input.Password"] = UniqueUser.Password });
            var answer = await Browser.ReadPageAsync(response);
            answers.Add((response.StatusCode, response.Headers.RetryAfter?.Delta?.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
                answer.QuerySelector(".error-summary")?.TextContent.Trim() ?? "(no message)",
                (answer.QuerySelector("input[name='Input.Email']") as AngleSharp.Html.Dom.IHtmlInputElement)?.Value));
        }

        Assert.That(answers[0].Status, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
        Assert.That(answers[0].RetryAfter, Is.EqualTo("5"));
        Assert.That(answers[0].Message, Does.Contain("Wait a few seconds"));
        Assert.That(answers[0].Email, Is.EqualTo(account), "what the person typed stays in the form");
        Assert.That((answers[1].Status, answers[1].RetryAfter, answers[1].Message), Is.EqualTo((answers[0].Status, answers[0].RetryAfter, answers[0].Message)),
            "an unknown address gets the same answer as an account");

        var signUps = new List<(HttpStatusCode Status, string? RetryAfter, string Title)>();
        foreach (var email in new[] { account, UniqueUser.Email("newcomer") })
        {
            var browser = new Browser(factory.CreateClient());
            var (_, page) = await browser.OpenAsync("/account/signup");
            var response = await browser.SubmitAsync(page, new Dictionary<string, string> { ["Input.Email"] = email, ["Input.Password"] = UniqueUser.Password });
            signUps.Add((response.StatusCode, response.Headers.RetryAfter?.Delta?.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
                (await Browser.ReadPageAsync(response)).QuerySelector("h1")?.TextContent.Trim() ?? "(no title)"));
            await using var scope = factory.Services.CreateAsyncScope();
            var users = scope.ServiceProvider.GetRequiredService<UserManager<PlintoUser>>();
            Assert.That(await users.FindByEmailAsync(email) is not null, Is.EqualTo(email == account), "a refused sign-up creates nothing");
        }

        Assert.That(signUps[0], Is.EqualTo((HttpStatusCode.ServiceUnavailable, (string?)"5", "Busy")), "sign-up of an address with an account");
        Assert.That(signUps[1], Is.EqualTo(signUps[0]), "sign-up of a new address: the same answer");

        // The flood ends: sign-in works again.
        gate.SetResult(0);
        await Task.WhenAll(flood);
        var after = new Browser(factory.CreateClient());
        var (_, again) = await after.OpenAsync("/account/signin");
        var signedIn = await after.SubmitAsync(again, new Dictionary<string, string> { ["Input.Email"] = account, ["Input.Password"] = UniqueUser.Password });
        Assert.That(Browser.IsRedirect(signedIn), Is.True, "signed in once the line drained");
    }

    private static PasswordHashing NewHashing(int waitingPerCore = 64) =>
        new(Options.Create(new RateLimitOptions { PasswordChecksWaitingPerCore = waitingPerCore }), TimeProvider.System, NullLogger<PasswordHashing>.Instance);

    private sealed class CountingHasher : IPasswordHasher<PlintoUser>
    {
        private readonly PasswordHasher<PlintoUser> inner = new();
        private int verifications;

        public int Verifications => Volatile.Read(ref verifications);

        public string HashPassword(PlintoUser user, string password) => inner.HashPassword(user, password);

        public PasswordVerificationResult VerifyHashedPassword(PlintoUser user, string hashedPassword, string providedPassword)
        {
            Interlocked.Increment(ref verifications);
            return inner.VerifyHashedPassword(user, hashedPassword, providedPassword);
        }
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }
}
