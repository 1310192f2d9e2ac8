using System.Diagnostics;
using System.Globalization;
using Gamut.Executors;
using Gamut.Jobs;
using Gamut.Redis;
using OpenQA.Selenium.Chrome;

namespace Gamut.Bench.Dashboard;

/// <summary>A job's input, the size of a typical small payload (~80 bytes of JSON).</summary>
public sealed record Notice(string To, string Template, int Seq);

[Job("bench.send")]
public sealed class SendJob : IJob<Notice, int>
{
    public ValueTask<int> RunAsync(Notice input, JobContext context) => ValueTask.FromResult(input.Seq);
}

/// <summary>Always fails: what a real worker turns into dead-lettered jobs.</summary>
[Job("bench.fail")]
public sealed class FailJob : IJob<Notice, int>
{
    public ValueTask<int> RunAsync(Notice input, JobContext context) =>
        throw new InvalidOperationException($"SMTP refused {input.To} (bench: every bench.fail job fails)");
}

/// <summary>
/// The .NET side of bench/dashboard/dashboard_bench.py:
///   fill URL QUEUES TOTAL DEAD_PER_QUEUE DELAYED_PER_QUEUE
///       TOTAL jobs across the comma-separated QUEUES with Gamut's own batched enqueue (EnqueueManyAsync):
///       DEAD_PER_QUEUE jobs of each queue failed by a real in-process RedisWorker (dead-lettered), DELAYED_PER_QUEUE
///       scheduled a day ahead, the rest queued. Prints one "fill …" line with the counts the admin API reads back.
///   pageload DASHBOARD_URL QUEUE N
///       Debian's headless Chromium (chromium-driver); one warm-up load, then N loads of the overview (until its
///       queue table shows figures) and of QUEUE's first page of queued jobs (until its rows show): one line each;
///       then seven overview loads in one browser with the back-forward cache on (Chromium's default): one line.
/// </summary>
public static class Program
{
    private static readonly JobRef<Notice, int> Send = JobRef.To<SendJob, Notice, int>();
    private static readonly JobRef<Notice, int> Fail = JobRef.To<FailJob, Notice, int>();

    public static async Task<int> Main(string[] args)
    {
        switch (args.Length > 0 ? args[0] : "")
        {
            case "fill" when args.Length == 6:
                return await FillAsync(args[1], args[2].Split(','), Long(args[3]), Int(args[4]), Int(args[5]));
            case "pageload" when args.Length == 4:
                return PageLoad(args[1], args[2], Int(args[3]));
            default:
                Console.Error.WriteLine("usage: DashboardBench fill URL QUEUES TOTAL DEAD DELAYED | pageload URL QUEUE N");
                return 2;
        }
    }

    private static int Int(string s) => int.Parse(s, CultureInfo.InvariantCulture);

    private static long Long(string s) => long.Parse(s, CultureInfo.InvariantCulture);

    private static IEnumerable<Notice> Notices(string queue, int from, int count) =>
        Enumerable.Range(from, count).Select(i => new Notice($"user{i}@example.com", queue + "-welcome", i));

    private static async Task<int> FillAsync(string url, string[] queues, long total, int deadPerQueue, int delayedPerQueue)
    {
        var perQueue = (int)(total / queues.Length);
        var queuedPerQueue = perQueue - deadPerQueue - delayedPerQueue;
        var options = RedisOptions.FromUrl(url) with { DeadLetterMax = Math.Max(deadPerQueue, 1) };
        var sw = Stopwatch.StartNew();
        await using (var client = await RedisExecutor.ConnectAsync(options))
        {
            // The dead-lettered jobs first, through a real worker (one attempt each, then the dead-letter list).
            foreach (var q in queues)
            {
                await client.EnqueueManyAsync(Fail, Notices(q, 0, deadPerQueue), new JobOptions { Queue = q });
            }

            var registry = new JobRegistry().Add<FailJob, Notice, int>();
            await using (var admin = await RedisAdmin.ConnectAsync(options))
            {
                await using (var worker = await RedisWorker.StartAsync(options, new RedisWorkerOptions { Registry = registry, Queues = queues, Concurrency = 64, MaxBatch = 256 }))
                {
                    var guard = Stopwatch.StartNew();
                    while ((await admin.GetStatusAsync()).Queues.Sum(q => q.DeadLetters) < (long)deadPerQueue * queues.Length)
                    {
                        if (guard.Elapsed > TimeSpan.FromMinutes(5))
                        {
                            throw new TimeoutException("the worker did not dead-letter the failing jobs within 5 minutes");
                        }

                        await Task.Delay(100);
                    }
                }
            }

            var dead = sw.Elapsed.TotalSeconds;
            // The queues side by side: each EnqueueManyAsync keeps 8 batches in flight; four keep Redis busier.
            await Task.WhenAll(queues.Select(async q =>
            {
                await client.EnqueueManyAsync(Send, Notices(q, deadPerQueue, delayedPerQueue), new JobOptions { Queue = q, Delay = TimeSpan.FromDays(1) });
                await client.EnqueueManyAsync(Send, Notices(q, deadPerQueue + delayedPerQueue, queuedPerQueue), new JobOptions { Queue = q });
            }));

            sw.Stop();
            Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"fill_timing dead_phase_s={dead:0.0} enqueue_phase_s={sw.Elapsed.TotalSeconds - dead:0.0} enqueue_per_s={(total - (long)deadPerQueue * queues.Length) / (sw.Elapsed.TotalSeconds - dead):0}"));
        }

        await using (var admin = await RedisAdmin.ConnectAsync(options))
        {
            var status = await admin.GetStatusAsync();
            var mine = status.Queues.Where(q => queues.Contains(q.Name)).ToList();
            Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"fill queues={mine.Count} queued={mine.Sum(q => q.Ready)} delayed={mine.Sum(q => q.Delayed)} dead={mine.Sum(q => q.DeadLetters)} " +
                $"total={mine.Sum(q => q.Ready + q.Delayed + q.DeadLetters)} seconds={sw.Elapsed.TotalSeconds:0.0}"));
        }

        return 0;
    }

    private static int PageLoad(string url, string queue, int n)
    {
        // Chromium's back-forward cache off for the timed loads: with it on (Chromium's default), each page left for
        // about:blank stays cached with its live feed (an HTTP/1.1 connection) open, and after six the next load
        // waits for a free connection (six per host). That is measured on its own below, not mixed into these.
        using (var browser = Browser(backForwardCache: false))
        {
            const string overview = "td[data-col='queued'] a";
            const string rows = "tr[data-row]";
            for (var i = -1; i < n; i++)
            {
                var o = Load(browser, url, overview);
                var j = Load(browser, url + "#/queue/" + Uri.EscapeDataString(queue) + "/queued/0", rows);
                if (i < 0)
                {
                    continue; // warm-up: Chromium's own first-use costs
                }

                var nav = (IReadOnlyDictionary<string, object>)browser.ExecuteScript(
                    "const e = performance.getEntriesByType('navigation')[0]; return { dcl: e.domContentLoadedEventEnd, load: e.loadEventEnd };")!;
                Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"pageload overview_ms={o:0.0} jobs_ms={j:0.0} jobs_dcl_ms={Convert.ToDouble(nav["dcl"], CultureInfo.InvariantCulture):0.0} jobs_load_ms={Convert.ToDouble(nav["load"], CultureInfo.InvariantCulture):0.0}"));
            }
        }

        // Seven loads of the overview in one browser as Chromium ships (back-forward cache on).
        using (var browser = Browser(backForwardCache: true))
        {
            var times = new List<double>();
            for (var i = 0; i < 7; i++)
            {
                times.Add(Load(browser, url, "td[data-col='queued'] a"));
            }

            Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"bfcache loads_ms={string.Join(',', times.Select(t => t.ToString("0", CultureInfo.InvariantCulture)))}"));
        }

        return 0;
    }

    private static ChromeDriver Browser(bool backForwardCache)
    {
        var service = ChromeDriverService.CreateDefaultService("/usr/bin", "chromedriver");
        service.HideCommandPromptWindow = true;
        service.SuppressInitialDiagnosticInformation = true;
        var options = new ChromeOptions { BinaryLocation = "/usr/bin/chromium" };
        options.AddArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1400,1000", "--no-first-run", "--disable-extensions");
        if (!backForwardCache)
        {
            options.AddArgument("--disable-features=BackForwardCache");
        }

        var browser = new ChromeDriver(service, options, TimeSpan.FromSeconds(180));
        browser.Manage().Timeouts().AsynchronousJavaScript = TimeSpan.FromSeconds(150);
        return browser;
    }

    /// <summary>
    /// A fresh document (from about:blank), timed by the page's own clock (performance.now() counts from the
    /// navigation's start) until an element matching <paramref name="css"/> exists: a frame-by-frame check inside the
    /// page, so WebDriver's round trips add nothing.
    /// </summary>
    private static double Load(ChromeDriver browser, string url, string css)
    {
        browser.Navigate().GoToUrl("about:blank");
        browser.Navigate().GoToUrl(url);
        var at = browser.ExecuteAsyncScript(
            "const sel = arguments[0], done = arguments[arguments.length - 1];" +
            "(function look() { if (document.querySelector(sel)) done(performance.now()); else requestAnimationFrame(look); })();", css);
        return Convert.ToDouble(at, CultureInfo.InvariantCulture);
    }
}
