// An ASP.NET Core app with Gamut: POST /invoices/{number} enqueues a job on Redis; this app's own hosted Redis worker
// runs it, building the job with its injected services; GET /jobs/{id} waits for the result; /health reports Redis,
// the worker's heartbeat and the pool. Configuration: Gamut:Redis:Url (or Gamut__Redis__Url in the environment).
using Gamut.Extensions.Hosting;
using Gamut.Jobs;
using Gamut.Redis;
using Gamut.Samples.WebApi;
using OpenTelemetry.Trace;

var builder = WebApplication.CreateBuilder(args);
builder.Services.AddSingleton<TaxTable>();
builder.Services.AddScoped<InvoiceStore>();
builder.Services.AddGamut(gamut => gamut
    .AddJob<RenderInvoice, int, string>()
    .AddRedis()
    .AddRedisWorker());
builder.Services.AddHealthChecks().AddGamutChecks();
if (builder.Configuration.GetValue<bool>("Sample:ConsoleTraces"))
{
    // The request's own span (ASP.NET Core's source) is recorded too: a sampler that follows the parent would
    // otherwise drop Gamut's spans under a request nobody records.
    builder.Services.AddOpenTelemetry().WithTracing(tracing => tracing.AddSource(GamutTelemetry.Name, "Microsoft.AspNetCore").AddConsoleExporter());
}

var app = builder.Build();
var render = JobRef.To<RenderInvoice, int, string>();

app.MapPost("/invoices/{number:int}", async (int number, [FromKeyedServices("redis")] RedisExecutor redis, CancellationToken cancellationToken) =>
{
    var handle = await redis.EnqueueAsync(render, number, cancellationToken: cancellationToken);
    return Results.Accepted($"/jobs/{handle.Id}", new { id = handle.Id });
});

app.MapGet("/jobs/{id}", async (string id, [FromKeyedServices("redis")] RedisExecutor redis, CancellationToken cancellationToken) =>
{
    var text = await redis.WaitAsync<string>(new JobHandle(redis.DefaultQueue, id), cancellationToken);
    return Results.Text(text);
});

app.MapHealthChecks("/health");
await app.RunAsync();
