using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
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
        using var hashing = new PasswordHashing();
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
        using var hashing = new PasswordHashing();
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
    public async Task A_sign_up_waits_in_the_line_of_password_checks_for_a_new_address_as_for_a_registered_one()
    {
        // Both paths go through the line: hashing a new account on the pool answered it before a registered address,
        // whose equalizing hash waited in line (an enumeration under load), and let sign-ups starve the pool.
        await using var factory = await PlintoFactory.CreateAsync(DatabaseProvider.Sqlite);
        var hashing = factory.Services.GetRequiredService<PasswordHashing>();
        var browser = new Browser(factory.CreateClient());
        var (_, page) = await browser.OpenAsync("/account/signup");
        var email = UniqueUser.Email("newcomer");

        var gate = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var flood = Enumerable.Range(0, Environment.ProcessorCount).Select(_ => hashing.RunAsync(() => gate.Task)).ToList();
        var signUp = browser.SubmitAsync(page, new Dictionary<string, string> { ["Input.Email"] = email, ["Input.Password"] = UniqueUser.Password });

        // Hashed on the pool, the account would exist within a fraction of a second.
        var deadline = DateTime.UtcNow.AddSeconds(3);
        while (DateTime.UtcNow < deadline && !signUp.IsCompleted)
        {
            Assert.That(await AccountExistsAsync(factory, email), Is.False, "the sign-up was hashed while every hashing thread was busy");
            await Task.Delay(100);
        }

        Assert.That(signUp.IsCompleted, Is.False, "the sign-up waits for a hashing thread");
        gate.SetResult(0);
        await Task.WhenAll(flood);
        var response = await signUp;
        Assert.That(browser.LastUrlAfterRedirect(response), Does.EndWith("/account/check-email"));
        Assert.That(await AccountExistsAsync(factory, email), Is.True);
    }

    private static async Task<bool> AccountExistsAsync(PlintoFactory factory, string email)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<UserManager<PlintoUser>>().FindByEmailAsync(email) is not null;
    }

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
