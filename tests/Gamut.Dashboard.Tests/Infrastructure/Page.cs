using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;

namespace Gamut.Dashboard.Tests.Infrastructure;

/// <summary>Waiting for what the page shows, and clicking what may be re-rendered by a live update meanwhile.</summary>
public static class Page
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(90);

    /// <summary>Waits until an element matching <paramref name="by"/> exists (and satisfies <paramref name="holds"/>), then returns it.</summary>
    public static async Task<IWebElement> WaitForAsync(this ChromeDriver browser, By by, string what, Func<IWebElement, bool>? holds = null)
    {
        var until = DateTime.UtcNow + Guard;
        while (true)
        {
            try
            {
                foreach (var e in browser.FindElements(by))
                {
                    if (holds is null || holds(e))
                    {
                        return e;
                    }
                }
            }
            catch (StaleElementReferenceException)
            {
                // Replaced by a live update while we looked: look again.
            }

            if (DateTime.UtcNow > until)
            {
                throw new TimeoutException($"Gave up waiting for the page to show {what}; it shows: {Text(browser)}");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>Clicks the element matching <paramref name="by"/>, finding it again if a live update replaced it.</summary>
    public static async Task ClickAsync(this ChromeDriver browser, By by, string what)
    {
        var until = DateTime.UtcNow + Guard;
        while (true)
        {
            try
            {
                (await browser.WaitForAsync(by, what)).Click();
                return;
            }
            catch (StaleElementReferenceException) when (DateTime.UtcNow < until)
            {
            }
        }
    }

    public static string Text(ChromeDriver browser)
    {
        try
        {
            return browser.FindElement(By.TagName("body")).Text;
        }
        catch (WebDriverException e)
        {
            return "(unreadable: " + e.Message + ")";
        }
    }
}
