namespace Gamut.Redis.Tests.Ledger;

/// <summary>
/// The producer's side of the ledger: each submission's client-generated id is written before the enqueue, then
/// marked acked or indeterminate after it (RELIABILITY.md §3.1). Kept in memory and in a file beside the logs.
/// </summary>
public sealed class ProducerLedger
{
    private readonly object _gate = new();
    private readonly StreamWriter _file;

    public ProducerLedger(string dir)
    {
        Directory = dir;
        _file = new StreamWriter(Path.Combine(dir, "producer.log"), append: true) { AutoFlush = true };
    }

    public string Directory { get; }

    public HashSet<string> Submitted { get; } = [];

    public HashSet<string> Acked { get; } = [];

    public HashSet<string> Indeterminate { get; } = [];

    public void Submit(string id) => Write(Submitted, "submitted", id);

    public void Ack(string id) => Write(Acked, "acked", id);

    public void Indeterminate_(string id) => Write(Indeterminate, "indeterminate", id);

    private void Write(HashSet<string> set, string what, string id)
    {
        lock (_gate)
        {
            set.Add(id);
            _file.WriteLine($"{what} {id}");
        }
    }
}
