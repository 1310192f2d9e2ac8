using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using Gamut.Hosting.Tests.Infrastructure;
using Gamut.Redis.Tests.Infrastructure;

namespace Gamut.Hosting.Tests.Hosting;

/// <summary>
/// samples/Gamut.Samples.WebApi as a user runs it: an ASP.NET Core app that enqueues from an endpoint and runs a Redis
/// worker whose job takes injected services, tracing to the console.
/// </summary>
public sealed class SampleTests
{
    [Fact]
    public async Task The_web_sample_enqueues_from_an_endpoint_its_worker_runs_the_job_with_injected_services_and_traces_go_to_the_console()
    {
        var sample = Path.Combine(Repo.Root, "samples", "Gamut.Samples.WebApi", "bin", "Release", "net10.0", "Gamut.Samples.WebApi.dll");
        Assert.True(File.Exists(sample), $"{sample} is not built (./test builds it with the solution)");
        await using var redis = await RedisServer.StartAsync();
        var port = RedisServer.FreePort();
        var output = new StringBuilder();
        using var app = new Process
        {
            StartInfo = new ProcessStartInfo(Repo.Dotnet)
            {
                ArgumentList = { sample, "--urls", $"http://127.0.0.1:{port}" },
                WorkingDirectory = Path.GetDirectoryName(sample)!,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
                Environment =
                {
                    ["Gamut__Redis__Url"] = redis.Url,
                    ["Gamut__Redis__KeyPrefix"] = "sample" + Guid.NewGuid().ToString("N")[..8],
                    ["Sample__ConsoleTraces"] = "true",
                    ["ASPNETCORE_ENVIRONMENT"] = "Production",
                },
            },
        };
        app.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        app.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        app.Start();
        app.BeginOutputReadLine();
        app.BeginErrorReadLine();
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TestOptions.Guard };
            await Wait.UntilAsync(
                async () =>
                {
                    Assert.False(app.HasExited, $"the sample exited with {(app.HasExited ? app.ExitCode : 0)}: {Text(output)}");
                    try
                    {
                        return (await http.GetAsync("/health")).StatusCode == HttpStatusCode.OK;
                    }
                    catch (HttpRequestException)
                    {
                        return false;
                    }
                },
                "the sample is up and healthy",
                TestOptions.Guard);

            var accepted = await http.PostAsync("/invoices/42", null);
            Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
            var id = JsonDocument.Parse(await accepted.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
            var result = await http.GetStringAsync($"/jobs/{id}");
            Assert.StartsWith("invoice 42: 504.00 (store #", result, StringComparison.Ordinal);
            Assert.EndsWith(", attempt 1)", result, StringComparison.Ordinal);

            // The console exporter printed the enqueue's producer span and the worker's consumer span, in one trace.
            await Wait.UntilAsync(() => Task.FromResult(Text(output).Contains("process default", StringComparison.Ordinal)), "the worker's span on the console", TestOptions.Guard);
            var text = Text(output);
            Assert.Contains("send default", text, StringComparison.Ordinal);
            Assert.Contains("Invoice 42: ", text, StringComparison.Ordinal);                  // the job's injected logger
            Assert.Contains("Microsoft.AspNetCore.Hosting.HttpRequestIn", text, StringComparison.Ordinal); // the request's span
        }
        finally
        {
            if (!app.HasExited)
            {
                app.Kill(entireProcessTree: true);
                await app.WaitForExitAsync();
            }
        }
    }

    private static string Text(StringBuilder output)
    {
        lock (output)
        {
            return output.ToString();
        }
    }
}
