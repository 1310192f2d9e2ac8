using System.Globalization;
using Gamut.Jobs;
using Microsoft.Extensions.Logging;

namespace Gamut.Pool.Worker;

/// <summary>
/// The context of one run in a worker. The id of a map item (<c>&lt;chunk id&gt;.&lt;i&gt;</c>) is made only when the
/// job reads it, so a tiny item costs this one object.
/// </summary>
internal sealed class WorkerJobContext : JobContext
{
    private readonly string _idBase;
    private readonly int _item;

    /// <summary>A run whose id is <paramref name="id"/>.</summary>
    public WorkerJobContext(string id, string jobName, int attempt, CancellationToken cancellationToken, ILogger logger)
        : base(jobName, attempt, cancellationToken, logger, null, id)
    {
        _idBase = id;
        _item = -1;
    }

    /// <summary>Item <paramref name="item"/> of the chunk whose id is <paramref name="chunkId"/>.</summary>
    public WorkerJobContext(string chunkId, int item, string jobName, int attempt, CancellationToken cancellationToken, ILogger logger)
        : base(jobName, attempt, cancellationToken, logger, null, null)
    {
        _idBase = chunkId;
        _item = item;
    }

    private protected override string CreateJobId() =>
        _item < 0 ? _idBase : string.Concat(_idBase, ".", _item.ToString(CultureInfo.InvariantCulture));
}
