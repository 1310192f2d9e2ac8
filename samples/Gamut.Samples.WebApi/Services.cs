using Gamut.Jobs;

namespace Gamut.Samples.WebApi;

/// <summary>A singleton service the job takes.</summary>
public sealed class TaxTable
{
    /// <summary>The rate applied to every invoice.</summary>
    public decimal Rate => 0.2m;
}

/// <summary>A scoped service (as a DbContext would be): one per job run, disposed when the run ends.</summary>
public sealed class InvoiceStore : IDisposable
{
    private static int s_created;

    /// <summary>Which instance this is (1, 2, …): each run gets its own.</summary>
    public int Instance { get; } = Interlocked.Increment(ref s_created);

    /// <summary>The amount of invoice <paramref name="number"/>.</summary>
    public decimal AmountOf(int number) => number * 10m;

    /// <inheritdoc/>
    public void Dispose()
    {
    }
}

/// <summary>Renders an invoice's total, with services the container injects.</summary>
[Job("invoices.render")]
public sealed class RenderInvoice(InvoiceStore store, TaxTable taxes, ILogger<RenderInvoice> log) : IJob<int, string>
{
    /// <inheritdoc/>
    public ValueTask<string> RunAsync(int number, JobContext context)
    {
        var total = store.AmountOf(number) * (1 + taxes.Rate);
        log.LogInformation("Invoice {Number}: {Total}", number, total);
        return ValueTask.FromResult($"invoice {number}: {total:0.00} (store #{store.Instance}, attempt {context.Attempt})");
    }
}
