using Gamut.Jobs;
using Gamut.Pool.Protocol;

namespace Gamut.Pool.Engine;

/// <summary>
/// The pool's numbering of the jobs it has sent: a worker is told a job's definition once (by number), and every
/// later run names only the number.
/// </summary>
internal sealed class JobTable
{
    private readonly object _gate = new();
    private readonly Dictionary<string, int> _indexes = new(StringComparer.Ordinal);
    private readonly List<JobDefinition> _definitions = [];

    public int IndexOf(JobDescriptor descriptor)
    {
        lock (_gate)
        {
            if (_indexes.TryGetValue(descriptor.Name, out var index))
            {
                return index;
            }

            index = _definitions.Count + 1;
            _definitions.Add(JobDefinition.From(descriptor));
            _indexes[descriptor.Name] = index;
            return index;
        }
    }

    public JobDefinition this[int index]
    {
        get
        {
            lock (_gate)
            {
                return _definitions[index - 1];
            }
        }
    }
}
