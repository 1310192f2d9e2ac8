using Gamut.Dashboard.Tests.Infrastructure;
using Gamut.Jobs;
using Gamut.Redis;
using Gamut.Redis.Tests.Infrastructure;
using OpenQA.Selenium;

namespace Gamut.Dashboard.Tests;

/// <summary>The page loads, shows what happens elsewhere without a reload, and shows job inputs as text.</summary>
[Collection(BrowserCollection.Name)]
public sealed class LiveTests(BrowserFixture fx)
{
    private static readonly JobRef<string, string> Echo = new("dash.echo");

    [BrowserFact]
    public async Task The_overview_loads_and_a_job_enqueued_elsewhere_appears_without_a_reload()
    {
        var options = TestOptions.For(fx.Redis);
        await using var site = await DashboardSite.StartAsync(DashboardOptions.For(options));
        await using var client = await RedisExecutor.ConnectAsync(options, new RedisExecutorOptions { Queue = "mail" });
        var first = await client.EnqueueAsync(Echo, "first");
        var b = fx.Browser;

        b.Navigate().GoToUrl(site.Url);
        await b.WaitForAsync(By.CssSelector("#live.on"), "the live indicator on");
        await b.WaitForAsync(By.CssSelector("tr[data-queue='mail'] td[data-col='queued']"), "mail with 1 queued", e => e.Text == "1");
        fx.Screenshot("overview-loads");

        // Open the queue's list, mark the page, then enqueue from another client: the row appears, the mark stays.
        await b.ClickAsync(By.CssSelector("tr[data-queue='mail'] td[data-col='queued'] a"), "the queued count's link");
        await b.WaitForAsync(By.CssSelector($"a[data-job='{first.Id}']"), "the first job's row");
        b.ExecuteScript("window.gamutTestMark = 42;");
        var second = await client.EnqueueAsync(Echo, "second");
        await b.WaitForAsync(By.CssSelector($"a[data-job='{second.Id}']"), "the job enqueued elsewhere");
        Assert.Equal(42L, b.ExecuteScript("return window.gamutTestMark;"));
        fx.Screenshot("job-appears-live");
    }

    [BrowserFact]
    public async Task Eight_page_loads_in_one_browser_each_go_live_the_pages_left_behind_hold_no_stream()
    {
        // A browser allows six connections per host; a page kept in the back-forward cache with its live stream open
        // held one each, so the seventh load of the dashboard hung for about a minute.
        var options = TestOptions.For(fx.Redis);
        await using var site = await DashboardSite.StartAsync(DashboardOptions.For(options));
        var b = fx.Browser;
        var pageLoad = b.Manage().Timeouts().PageLoad;
        b.Manage().Timeouts().PageLoad = TimeSpan.FromSeconds(30);
        try
        {
            for (var i = 1; i <= 8; i++)
            {
                b.Navigate().GoToUrl(site.Url + "?load=" + i);
                await b.WaitForAsync(By.CssSelector("#live.on"), $"load {i}: the live indicator on");
            }
        }
        finally
        {
            b.Manage().Timeouts().PageLoad = pageLoad;
        }
    }

    [BrowserFact]
    public async Task A_search_finds_a_job_by_its_input_beyond_the_page_shown()
    {
        var options = TestOptions.For(fx.Redis);
        await using var site = await DashboardSite.StartAsync(DashboardOptions.For(options));
        await using var client = await RedisExecutor.ConnectAsync(options, new RedisExecutorOptions { Queue = "find" });
        var handles = await client.EnqueueManyAsync(Echo, Enumerable.Range(0, 80).Select(i => $"order-{i:000}"));
        var b = fx.Browser;

        // Job 3 is far past the first page of 25 (newest first): only a search of the whole list finds it.
        b.Navigate().GoToUrl(site.Url + "#/queue/find/queued/0");
        await b.WaitForAsync(By.CssSelector($"a[data-job='{handles[79].Id}']"), "the newest job's row");
        Assert.Empty(b.FindElements(By.CssSelector($"a[data-job='{handles[3].Id}']")));
        b.FindElement(By.Id("filter")).SendKeys("ORDER-003");
        await b.WaitForAsync(By.Id("search-summary"), "the search's summary", e => e.Text == "1 match in the newest 80 entries");
        await b.WaitForAsync(By.CssSelector($"a[data-job='{handles[3].Id}']"), "the job found by its input");
        Assert.Single(b.FindElements(By.CssSelector("tr[data-row]")));
        fx.Screenshot("search-beyond-page");
    }

    [BrowserFact]
    public async Task A_script_input_is_shown_as_text()
    {
        var options = TestOptions.For(fx.Redis);
        await using var site = await DashboardSite.StartAsync(DashboardOptions.For(options));
        await using var client = await RedisExecutor.ConnectAsync(options, new RedisExecutorOptions { Queue = "web" });
        const string hostile = "<script>document.title='owned';window.gamutOwned=1</script><b id=\"injected\">bold</b><img src=x onerror=\"window.gamutOwned=2\">";
        var job = await client.EnqueueAsync(Echo, hostile);
        var b = fx.Browser;

        b.Navigate().GoToUrl(site.Url + $"#/job/web/{job.Id}");
        var input = await b.WaitForAsync(By.CssSelector("pre[data-block='input']"), "the job's input");
        Assert.Contains("<script>document.title='owned'", input.Text, StringComparison.Ordinal);
        Assert.Contains("<b id=\\\"injected\\\">bold</b>", input.Text, StringComparison.Ordinal);
        Assert.Empty(b.FindElements(By.Id("injected")));
        Assert.Empty(input.FindElements(By.TagName("script")));
        Assert.Null(b.ExecuteScript("return window.gamutOwned ?? null;"));
        Assert.Equal("Gamut dashboard", b.Title);
        fx.Screenshot("script-input-as-text");
    }
}
