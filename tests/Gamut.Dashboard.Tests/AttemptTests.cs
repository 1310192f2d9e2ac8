using Gamut.Dashboard.Tests.Infrastructure;
using Gamut.Executors;
using Gamut.Jobs;
using Gamut.Redis;
using Gamut.Redis.Tests.Infrastructure;
using OpenQA.Selenium;

namespace Gamut.Dashboard.Tests;

/// <summary>The job page's Attempts table: every attempt of a job, newest first, its errors as text.</summary>
[Collection(BrowserCollection.Name)]
public sealed class AttemptTests(BrowserFixture fx)
{
    private static readonly JobRef<string, string> TwiceThenOk = new("dash.twice-then-ok");

    [BrowserFact]
    public async Task A_job_that_failed_twice_then_succeeded_shows_three_attempts_each_error_message_as_text()
    {
        var options = TestOptions.For(fx.Redis);
        await using var site = await DashboardSite.StartAsync(DashboardOptions.For(options));
        await using var worker = await RedisWorker.StartAsync(options, new RedisWorkerOptions { Registry = TestOptions.Registry(), Queues = ["flaky"], Concurrency = 1 });
        await using var client = await RedisExecutor.ConnectAsync(options, new RedisExecutorOptions { Queue = "flaky" });
        var job = await client.EnqueueAsync(TwiceThenOk, "bold", new JobOptions { Retry = RetryPolicy.Attempts(3) with { InitialDelay = TimeSpan.FromMilliseconds(10) } });
        Assert.Equal("ok", await client.WaitAsync<string>(job).WaitAsync(TestOptions.Guard));
        var b = fx.Browser;

        b.Navigate().GoToUrl(site.Url + $"#/job/flaky/{job.Id}");
        await b.WaitForAsync(By.CssSelector("tr[data-attempt='1']"), "the first attempt's row");
        var rows = b.FindElements(By.CssSelector("#attempts tbody tr"));
        Assert.Equal(["3", "2", "1"], rows.Select(r => r.GetAttribute("data-attempt")));
        Assert.Equal(["ok", "retry", "retry"], rows.Select(r => r.FindElement(By.CssSelector("td[data-col='outcome']")).Text));
        Assert.All(rows, r => Assert.Equal(worker.Id, r.FindElement(By.CssSelector("td[data-col='worker']")).Text));
        Assert.Equal("", rows[0].FindElement(By.CssSelector("td[data-col='error']")).Text);
        for (var n = 1; n <= 2; n++)
        {
            var message = b.FindElement(By.CssSelector($"tr[data-attempt='{n}'] .attempt-message"));
            Assert.Equal($"attempt {n} <script>window.gamutOwned={n}</script><b id=\"injected{n}\">bold</b>", message.Text);
            Assert.Empty(message.FindElements(By.TagName("script")));
            Assert.Empty(b.FindElements(By.Id($"injected{n}")));
            Assert.Contains(typeof(InvalidOperationException).FullName!, b.FindElement(By.CssSelector($"tr[data-attempt='{n}'] td[data-col='error']")).Text, StringComparison.Ordinal);

            // The stack is there, folded, as text.
            var stack = b.FindElement(By.CssSelector($"tr[data-attempt='{n}'] pre.attempt-stack"));
            Assert.Contains(nameof(TwiceThenOkJob), stack.GetAttribute("textContent"), StringComparison.Ordinal);
        }

        Assert.Null(b.ExecuteScript("return window.gamutOwned ?? null;"));

        // The job's own Error section (with a stack) renders its blocks, not "[object HTMLPreElement]".
        Assert.DoesNotContain("[object ", b.FindElement(By.Id("view")).Text, StringComparison.Ordinal);
        fx.Screenshot("attempts-three");
    }
}
