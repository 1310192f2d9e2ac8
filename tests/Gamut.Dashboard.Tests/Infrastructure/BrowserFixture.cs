using Gamut.Redis.Tests.Infrastructure;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;

namespace Gamut.Dashboard.Tests.Infrastructure;

/// <summary>
/// One real redis-server and one headless Debian Chromium (through chromium-driver) for the whole collection: both
/// are slow to start on a loaded machine, and each test keeps to its own key prefix and its own dashboard.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    public const string Chromium = "/usr/bin/chromium";
    public const string Driver = "/usr/bin/chromedriver";

    public RedisServer Redis { get; private set; } = null!;

    public ChromeDriver Browser { get; private set; } = null!;

    /// <summary>Where screenshots go: GAMUT_SCREENSHOTS (./test sets it under its results folder), else beside the tests.</summary>
    public static string ScreenshotDir { get; } = Environment.GetEnvironmentVariable("GAMUT_SCREENSHOTS") is { Length: > 0 } d
        ? d
        : Path.Combine(AppContext.BaseDirectory, "TestResults", "screenshots");

    public static bool Available => File.Exists(Chromium) && File.Exists(Driver);

    public async Task InitializeAsync()
    {
        if (!Available)
        {
            return;
        }

        Redis = await RedisServer.StartAsync();
        var service = ChromeDriverService.CreateDefaultService(Path.GetDirectoryName(Driver)!, Path.GetFileName(Driver));
        service.SuppressInitialDiagnosticInformation = true;
        service.HideCommandPromptWindow = true;
        var options = new ChromeOptions { BinaryLocation = Chromium };
        options.AddArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1400,1000", "--no-first-run", "--disable-extensions");
        Browser = new ChromeDriver(service, options, TimeSpan.FromMinutes(2));
        Browser.Manage().Timeouts().PageLoad = TimeSpan.FromMinutes(1);
    }

    /// <summary>Saves what the browser shows as <c>name.png</c> in <see cref="ScreenshotDir"/>.</summary>
    public string Screenshot(string name)
    {
        Directory.CreateDirectory(ScreenshotDir);
        var path = Path.Combine(ScreenshotDir, name + ".png");
        ((ITakesScreenshot)Browser).GetScreenshot().SaveAsFile(path);
        return path;
    }

    public async Task DisposeAsync()
    {
        Browser?.Quit();
        Browser?.Dispose();
        if (Redis is not null)
        {
            await Redis.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class BrowserCollection : ICollectionFixture<BrowserFixture>
{
    public const string Name = "browser";
}

/// <summary>A fact that needs Debian's chromium and chromium-driver; skipped, with the reason, where they are missing.</summary>
public sealed class BrowserFactAttribute : FactAttribute
{
    public BrowserFactAttribute()
    {
        if (!BrowserFixture.Available)
        {
            Skip = "Needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver; ./test installs them)";
        }
    }
}
