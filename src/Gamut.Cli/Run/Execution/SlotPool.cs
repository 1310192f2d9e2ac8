namespace Gamut.Cli.Run.Execution;

/// <summary>The job slots 1 to -j (<c>{%}</c>): a starting job takes the lowest free one, as in GNU parallel.</summary>
internal sealed class SlotPool(int size)
{
    private readonly bool[] _busy = new bool[size + 1];

    public int Take()
    {
        for (var i = 1; i < _busy.Length; i++)
        {
            if (!_busy[i])
            {
                _busy[i] = true;
                return i;
            }
        }

        throw new InvalidOperationException("no free job slot");
    }

    public void Release(int slot) => _busy[slot] = false;
}
