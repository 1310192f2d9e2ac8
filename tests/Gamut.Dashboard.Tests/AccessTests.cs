using System.Net;
using Gamut.Dashboard.Tests.Infrastructure;
using Gamut.Redis.Tests.Infrastructure;
using OpenQA.Selenium;

namespace Gamut.Dashboard.Tests;

/// <summary>
/// Who may use the dashboard. "Reachable beyond loopback" is modelled by the option a non-loopback listener sets
/// (<see cref="DashboardOptions.RequireCredentials"/>, which <c>DashboardServer.RunAsync</c> sets for any address that
/// is not loopback), so no traffic ever leaves loopback.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class AccessTests(BrowserFixture fx)
{
    [BrowserFact]
    public async Task A_listener_beyond_loopback_without_credentials_refuses_every_request()
    {
        var options = DashboardOptions.For(TestOptions.For(fx.Redis)).WithCredentialsRequired();
        await using var site = await DashboardSite.StartAsync(options);
        var b = fx.Browser;

        b.Navigate().GoToUrl(site.Url);
        var refusal = await b.WaitForAsync(By.Id("refusal"), "the refusal");
        Assert.Contains("has no password", refusal.Text, StringComparison.Ordinal);
        Assert.Empty(b.FindElements(By.Id("view")));
        fx.Screenshot("refused-without-credentials");

        using var http = new HttpClient();
        Assert.Equal(HttpStatusCode.Forbidden, (await http.GetAsync(site.Url)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await http.GetAsync(site.Url + "api/overview")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await http.GetAsync(site.Url + "api/events")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await http.PostAsync(site.Url + "api/actions/purge-dead?queue=default", null)).StatusCode);
    }

    [BrowserFact]
    public async Task With_a_password_the_page_asks_for_it_and_actions_need_the_anti_forgery_token()
    {
        var options = DashboardOptions.For(TestOptions.For(fx.Redis)).WithCredentialsRequired().WithPassword("correct horse battery");
        Assert.DoesNotContain("correct horse", options.PasswordHash, StringComparison.Ordinal);
        await using var site = await DashboardSite.StartAsync(options);
        var b = fx.Browser;

        b.Navigate().GoToUrl(site.Url);
        await b.WaitForAsync(By.Name("password"), "the sign-in form");
        b.FindElement(By.Name("password")).SendKeys("wrong password");
        b.FindElement(By.TagName("button")).Click();
        await b.WaitForAsync(By.Id("refusal"), "the refusal of a wrong password", e => e.Text.Contains("not right", StringComparison.Ordinal));
        b.FindElement(By.Name("password")).SendKeys("correct horse battery");
        b.FindElement(By.TagName("button")).Click();
        await b.WaitForAsync(By.CssSelector("#live.on"), "the dashboard, live");
        fx.Screenshot("signed-in");

        // Signed in in the browser, not in this client: refused. And a POST without the page's token is refused even
        // with the session (what a forged cross-site form would send).
        using var http = new HttpClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync(site.Url)).StatusCode);
        var session = b.Manage().Cookies.GetCookieNamed("gamut-session");
        Assert.NotNull(session);
        var forged = (string?)b.ExecuteAsyncScript(
            "const done = arguments[arguments.length - 1];" +
            "fetch('api/actions/purge-dead?queue=default', { method: 'POST' }).then(r => done(String(r.status)));");
        Assert.Equal("403", forged);
    }
}
