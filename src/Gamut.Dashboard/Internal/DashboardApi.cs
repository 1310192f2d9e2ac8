using System.Net;
using Gamut.Redis;
using Microsoft.AspNetCore.Http;

namespace Gamut.Dashboard.Internal;

/// <summary>The dashboard's request handlers: the page, the live feed, reads and actions, each behind the access check.</summary>
internal sealed class DashboardApi(DashboardHub hub, Access access, DashboardOptions options, string path)
{
    public async Task PageAsync(HttpContext context)
    {
        var (refusal, signIn) = access.Check(context);
        if (refusal is not null)
        {
            await RefuseAsync(context, refusal, signIn).ConfigureAwait(false);
            return;
        }

        var html = Assets.Index
            .Replace("{{base}}", WebUtility.HtmlEncode(path), StringComparison.Ordinal)
            .Replace("{{csrf}}", WebUtility.HtmlEncode(access.CsrfToken(context, path + "/")), StringComparison.Ordinal)
            .Replace("{{readonly}}", options.ReadOnly ? "true" : "false", StringComparison.Ordinal);
        Secure(context);
        context.Response.ContentType = "text/html; charset=utf-8";
        await context.Response.WriteAsync(html, context.RequestAborted).ConfigureAwait(false);
    }

    public async Task AssetAsync(HttpContext context)
    {
        if (access.Check(context).Refusal is { } refusal)
        {
            await TextAsync(context, 403, refusal).ConfigureAwait(false);
            return;
        }

        if (Assets.Find(context.Request.RouteValues["name"] as string) is not { } asset)
        {
            await TextAsync(context, 404, "No such asset").ConfigureAwait(false);
            return;
        }

        Secure(context);
        context.Response.ContentType = asset.Type;
        context.Response.Headers.CacheControl = "no-cache";
        await context.Response.Body.WriteAsync(asset.Body, context.RequestAborted).ConfigureAwait(false);
    }

    public async Task LoginAsync(HttpContext context)
    {
        var form = context.Request.HasFormContentType ? await context.Request.ReadFormAsync(context.RequestAborted).ConfigureAwait(false) : null;
        if (access.SignIn(context, form?["password"], path + "/"))
        {
            context.Response.Redirect(path + "/");
            return;
        }

        await RefuseAsync(context, access.UsesPassword ? "That password is not right." : "This dashboard has no password to sign in with.", access.UsesPassword).ConfigureAwait(false);
    }

    public async Task OverviewAsync(HttpContext context)
    {
        if (await RefusedAsync(context).ConfigureAwait(false))
        {
            return;
        }

        await JsonAsync(context, 200, hub.Current.Json).ConfigureAwait(false);
    }

    /// <summary>Server-Sent Events: the overview now, then each newer one as the poller reads it.</summary>
    public async Task EventsAsync(HttpContext context)
    {
        if (await RefusedAsync(context).ConfigureAwait(false))
        {
            return;
        }

        context.Response.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-cache";
        context.Response.Headers["X-Accel-Buffering"] = "no";
        using var feed = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, hub.Stopping);
        var aborted = feed.Token;
        long seen = -1;
        try
        {
            while (!aborted.IsCancellationRequested)
            {
                var (version, json) = await hub.WaitNewerAsync(seen, aborted).ConfigureAwait(false);
                seen = version;
                await context.Response.WriteAsync("data: " + json + "\n\n", aborted).ConfigureAwait(false);
                await context.Response.Body.FlushAsync(aborted).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
            // The browser went away, or the app stops.
        }
    }

    /// <summary>How many entries of a list a search reads at most (the newest).</summary>
    public const int SearchScanLimit = 10_000;

    public async Task JobsAsync(HttpContext context)
    {
        if (await RefusedAsync(context).ConfigureAwait(false))
        {
            return;
        }

        var q = context.Request.Query;
        if (!Enum.TryParse<JobList>(q["list"], ignoreCase: true, out var list) || !Enum.IsDefined(list))
        {
            await JsonAsync(context, 400, JobJson.Message("error", "list must be queued, delayed, running or dead")).ConfigureAwait(false);
            return;
        }

        var offset = int.TryParse(q["offset"], out var o) ? o : 0;
        var count = int.TryParse(q["count"], out var c) ? c : 25;
        await GuardAsync(context, async admin =>
        {
            if (q["search"].ToString().Trim() is { Length: > 0 } text)
            {
                // Bounded: the newest entries of the list only (JobSearch), whatever the queue's size.
                var found = await admin.SearchJobsAsync(q["queue"].ToString(), list, text, SearchScanLimit, 100, context.RequestAborted).ConfigureAwait(false);
                await JsonAsync(context, 200, JobJson.Listing(found.Rows, 0, 100, found.Scanned, found.Complete)).ConfigureAwait(false);
                return;
            }

            var rows = await admin.ListJobsAsync(q["queue"].ToString(), list, offset, count, context.RequestAborted).ConfigureAwait(false);
            await JsonAsync(context, 200, JobJson.Listing(rows, offset, count)).ConfigureAwait(false);
        }).ConfigureAwait(false);
    }

    public async Task JobAsync(HttpContext context)
    {
        if (await RefusedAsync(context).ConfigureAwait(false))
        {
            return;
        }

        var q = context.Request.Query;
        await GuardAsync(context, async admin =>
        {
            var job = await admin.GetJobAsync(new JobHandle(q["queue"].ToString(), q["id"].ToString()), context.RequestAborted).ConfigureAwait(false);
            await (job is null
                ? JsonAsync(context, 404, JobJson.Message("error", "No such job: it never existed, expired, or was deleted"))
                : JsonAsync(context, 200, JobJson.Job(job))).ConfigureAwait(false);
        }).ConfigureAwait(false);
    }

    public async Task FindAsync(HttpContext context)
    {
        if (await RefusedAsync(context).ConfigureAwait(false))
        {
            return;
        }

        await GuardAsync(context, async admin =>
        {
            var status = await admin.GetStatusAsync(context.RequestAborted).ConfigureAwait(false);
            var found = await admin.FindJobAsync(context.Request.Query["id"].ToString().Trim(), status.Queues.Select(s => s.Name), context.RequestAborted).ConfigureAwait(false);
            await JsonAsync(context, 200, JobJson.Found(found)).ConfigureAwait(false);
        }).ConfigureAwait(false);
    }

    /// <summary>An action: a POST with this browser's anti-forgery token, refused in read-only mode.</summary>
    public async Task ActionAsync(HttpContext context)
    {
        if (await RefusedAsync(context).ConfigureAwait(false))
        {
            return;
        }

        if (options.ReadOnly)
        {
            await JsonAsync(context, 403, JobJson.Message("error", "This dashboard is read-only")).ConfigureAwait(false);
            return;
        }

        if (!access.HasValidCsrf(context))
        {
            await JsonAsync(context, 403, JobJson.Message("error", "The request has no valid anti-forgery token: reload the page")).ConfigureAwait(false);
            return;
        }

        var q = context.Request.Query;
        var queue = q["queue"].ToString();
        var id = q["id"].ToString();
        await GuardAsync(context, async admin =>
        {
            var ct = context.RequestAborted;
            var message = (context.Request.RouteValues["action"] as string) switch
            {
                "retry" => Say(await admin.RetryAsync(new JobHandle(queue, id), ct).ConfigureAwait(false), "queued again", "only a failed or dead-lettered job can be retried"),
                "cancel" => Say(await admin.CancelAsync(new JobHandle(queue, id), ct).ConfigureAwait(false), "cancelled", "it has already ended"),
                "delete" => Say(await admin.DeleteAsync(new JobHandle(queue, id), ct).ConfigureAwait(false), "deleted", "it is running: cancel it first"),
                "retry-dead" => $"{await admin.RetryDeadAsync(queue, 500, ct).ConfigureAwait(false)} jobs queued again",
                "purge-dead" => $"{await admin.PurgeDeadAsync(queue, ct).ConfigureAwait(false)} dead letters dropped",
                "pause" => await Done(admin.PauseAsync(queue, ct), $"{queue} paused").ConfigureAwait(false),
                "resume" => await Done(admin.ResumeAsync(queue, ct), $"{queue} resumed").ConfigureAwait(false),
                _ => null,
            };
            if (message is null)
            {
                await JsonAsync(context, 404, JobJson.Message("error", "No such action")).ConfigureAwait(false);
                return;
            }

            hub.Poke();
            await JsonAsync(context, 200, JobJson.Message("message", message)).ConfigureAwait(false);
        }).ConfigureAwait(false);
    }

    private static string Say(AdminOutcome outcome, string done, string notApplicable) => outcome switch
    {
        AdminOutcome.Done => done,
        AdminOutcome.Cancelling => "cancelling: its worker stops it",
        AdminOutcome.Missing => "no such job (it expired or was deleted)",
        _ => "nothing changed: " + notApplicable,
    };

    private static async Task<string> Done(Task task, string message)
    {
        await task.ConfigureAwait(false);
        return message;
    }

    /// <summary>Runs a read or an action; a bad queue name or id is the user's mistake (400), Redis away is 503 — never a stack trace.</summary>
    private async Task GuardAsync(HttpContext context, Func<RedisAdmin, Task> body)
    {
        try
        {
            await body(await hub.AdminAsync(context.RequestAborted).ConfigureAwait(false)).ConfigureAwait(false);
        }
        catch (ArgumentException e)
        {
            await JsonAsync(context, 400, JobJson.Message("error", e.Message)).ConfigureAwait(false);
        }
        catch (Exception e) when (e is StackExchange.Redis.RedisException or TimeoutException or RedisUnavailableException)
        {
            await JsonAsync(context, 503, JobJson.Message("error", "Redis: " + e.Message)).ConfigureAwait(false);
        }
    }

    private async Task<bool> RefusedAsync(HttpContext context)
    {
        if (access.Check(context).Refusal is not { } refusal)
        {
            return false;
        }

        await JsonAsync(context, 403, JobJson.Message("error", refusal)).ConfigureAwait(false);
        return true;
    }

    private async Task RefuseAsync(HttpContext context, string refusal, bool signIn)
    {
        Secure(context);
        context.Response.StatusCode = signIn ? 401 : 403;
        context.Response.ContentType = "text/html; charset=utf-8";
        var form = signIn
            ? $"<form method=\"post\" action=\"{WebUtility.HtmlEncode(path)}/login\"><label>Password <input type=\"password\" name=\"password\" autofocus></label> <button>Sign in</button></form>"
            : "";
        await context.Response.WriteAsync(
            $"<!doctype html><html><head><meta charset=\"utf-8\"><title>Gamut dashboard</title></head><body style=\"font-family:sans-serif;margin:3em\"><h1>Gamut dashboard</h1><p id=\"refusal\">{WebUtility.HtmlEncode(refusal)}</p>{form}</body></html>",
            context.RequestAborted).ConfigureAwait(false);
    }

    private static Task TextAsync(HttpContext context, int status, string text)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=utf-8";
        return context.Response.WriteAsync(text, context.RequestAborted);
    }

    private static Task JsonAsync(HttpContext context, int status, string json)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        return context.Response.WriteAsync(json, context.RequestAborted);
    }

    /// <summary>Headers that keep the page to itself: its own scripts only, never framed, no sniffing.</summary>
    private static void Secure(HttpContext context)
    {
        var h = context.Response.Headers;
        h.ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";
        h.XContentTypeOptions = "nosniff";
        h["Referrer-Policy"] = "no-referrer";
        h.XFrameOptions = "DENY";
    }
}
