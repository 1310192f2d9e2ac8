namespace Gamut.Cli.Run.Inputs;

/// <summary>Inputs that are already in memory (<c>:::</c> arguments, or everything read up front for <c>--shuf</c>): taken straight from the list.</summary>
internal sealed class ListedInputs : IJobInputs
{
    private readonly IEnumerator<InputRecord> _records;
    private long _count;
    private bool _done;

    public ListedInputs(IEnumerable<InputRecord> records) => _records = records.GetEnumerator();

    public long? Completed => _done ? _count : null;

    public bool TryTake(out InputRecord record)
    {
        if (!_done && _records.MoveNext())
        {
            _count++;
            record = _records.Current;
            return true;
        }

        _done = true;
        record = null!;
        return false;
    }

    public Task WaitAsync() => Task.CompletedTask;

    public void Dispose() => _records.Dispose();
}
