using Gamut.Dashboard.Tests.Infrastructure;
using Gamut.Jobs;
using Gamut.Jobs.Commands;
using Gamut.Redis;
using Gamut.Redis.Tests.Infrastructure;
using OpenQA.Selenium;

namespace Gamut.Dashboard.Tests;

/// <summary>The dashboard's buttons against real workers: retry, cancel, pause and resume.</summary>
[Collection(BrowserCollection.Name)]
public sealed class ActionTests(BrowserFixture fx)
{
    private static readonly JobRef<string, string> NeedsFile = new("dash.needs-file");
    private static readonly JobRef<string, string> Echo = new("dash.echo");

    [BrowserFact]
    public async Task Retrying_a_dead_lettered_job_from_the_page_reruns_it_to_success()
    {
        var options = TestOptions.For(fx.Redis);
        await using var site = await DashboardSite.StartAsync(DashboardOptions.For(options));
        await using var worker = await RedisWorker.StartAsync(options, new RedisWorkerOptions { Registry = TestOptions.Registry(), Queues = ["reports"], Concurrency = 2 });
        await using var client = await RedisExecutor.ConnectAsync(options, new RedisExecutorOptions { Queue = "reports" });
        var file = Path.Combine(Wait.TempDir("dash"), "ready");
        var job = await client.EnqueueAsync(NeedsFile, file);
        var failure = await Assert.ThrowsAsync<JobFailedException>(() => client.WaitAsync<string>(job).WaitAsync(TestOptions.Guard));
        Assert.Contains("is not there yet", failure.Message, StringComparison.Ordinal);
        var b = fx.Browser;

        b.Navigate().GoToUrl(site.Url + "#/queue/reports/dead/0");
        await b.WaitForAsync(By.CssSelector($"tr[data-row='{job.Id}']"), "the dead-lettered job's row");
        fx.Screenshot("retry-dead-before");

        // The operator fixes the cause, then retries from the page.
        await File.WriteAllTextAsync(file, "here");
        await b.ClickAsync(By.CssSelector($"tr[data-row='{job.Id}'] button[data-action='retry']"), "the row's Retry button");

        // The click only starts the POST: wait for the page to say it was done, or WaitAsync could still read the failure.
        await b.WaitForAsync(By.Id("flash"), "the retry confirmed", e => e.Text.Contains("queued again", StringComparison.Ordinal));
        Assert.Equal("ok", await client.WaitAsync<string>(job).WaitAsync(TestOptions.Guard));
        b.Navigate().GoToUrl(site.Url + $"#/job/reports/{job.Id}");
        await b.WaitForAsync(By.CssSelector("dd[data-field='State']"), "the job succeeded", e => e.Text == "succeeded");
        fx.Screenshot("retry-dead-after");
    }

    [BrowserFact]
    public async Task Cancelling_a_running_command_job_from_the_page_stops_its_process()
    {
        var options = TestOptions.For(fx.Redis);
        await using var site = await DashboardSite.StartAsync(DashboardOptions.For(options));
        await using var worker = await RedisWorker.StartAsync(options, new RedisWorkerOptions { Registry = TestOptions.Registry(), Queues = ["cmd"], Concurrency = 1 });
        await using var client = await RedisExecutor.ConnectAsync(options, new RedisExecutorOptions { Queue = "cmd" });
        var pidFile = Path.Combine(Wait.TempDir("dash"), "pid");
        var job = await client.EnqueueAsync(CommandJob.Ref, new CommandSpec { Shell = "/bin/sh", Executable = "echo $$ > \"$0\"; exec sleep 300", Arguments = [pidFile] });
        await Wait.UntilAsync(() => Task.FromResult(File.Exists(pidFile) && File.ReadAllText(pidFile).Trim().Length > 0), "the command wrote its pid", TestOptions.Guard);
        var pid = int.Parse(File.ReadAllText(pidFile).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(Directory.Exists($"/proc/{pid}"));
        var b = fx.Browser;

        b.Navigate().GoToUrl(site.Url + $"#/job/cmd/{job.Id}");
        await b.WaitForAsync(By.CssSelector("dd[data-field='State']"), "the job running", e => e.Text == "running");
        fx.Screenshot("cancel-running-before");
        await b.ClickAsync(By.CssSelector("button[data-action='cancel']"), "the Cancel button");

        await Wait.UntilAsync(() => Task.FromResult(!IsAlive(pid)), $"the command's process {pid} to stop", TestOptions.Guard);
        await b.WaitForAsync(By.CssSelector("dd[data-field='State']"), "the job cancelled", e => e.Text == "cancelled");
        fx.Screenshot("cancel-running-after");
    }

    [BrowserFact]
    public async Task A_queue_paused_on_the_page_stops_being_served_until_resumed()
    {
        var options = TestOptions.For(fx.Redis);
        await using var site = await DashboardSite.StartAsync(DashboardOptions.For(options));
        await using var client = await RedisExecutor.ConnectAsync(options, new RedisExecutorOptions { Queue = "slow" });
        await using var other = await RedisExecutor.ConnectAsync(options, new RedisExecutorOptions { Queue = "fast" });
        var b = fx.Browser;

        // The worker serves "slow" first, then "fast", in every pass of its taking loop.
        await using var worker = await RedisWorker.StartAsync(options, new RedisWorkerOptions { Registry = TestOptions.Registry(), Queues = ["slow", "fast"], Concurrency = 2 });
        b.Navigate().GoToUrl(site.Url);
        await b.ClickAsync(By.CssSelector("tr[data-queue='slow'] button[data-action='pause']"), "slow's Pause button");
        await b.WaitForAsync(By.CssSelector("tr[data-queue='slow'] .tag.paused"), "slow shown paused");

        // A job on the paused queue, then one on the other: once the worker finished the second, it has tried the
        // paused queue after the first was there, and took nothing.
        var held = await client.EnqueueAsync(Echo, "held");
        Assert.Equal("passed", await other.SubmitAsync(Echo, "passed").WaitAsync(TestOptions.Guard));
        Assert.Equal(RedisJobState.Queued, (await client.GetStatusAsync(held)).State);
        await b.WaitForAsync(By.CssSelector("tr[data-queue='slow'] td[data-col='queued']"), "slow with 1 queued", e => e.Text == "1");
        fx.Screenshot("pause-queue");

        await b.ClickAsync(By.CssSelector("tr[data-queue='slow'] button[data-action='resume']"), "slow's Resume button");
        Assert.Equal("held", await client.WaitAsync<string>(held).WaitAsync(TestOptions.Guard));
    }

    private static bool IsAlive(int pid)
    {
        // A zombie (exited, not yet reaped by its parent) has stopped; /proc/PID/stat's third field says Z.
        var stat = $"/proc/{pid}/stat";
        try
        {
            var text = File.ReadAllText(stat);
            return text[(text.LastIndexOf(')') + 2)..].FirstOrDefault() is not ('Z' or 'X');
        }
        catch (IOException)
        {
            return false;
        }
    }
}
