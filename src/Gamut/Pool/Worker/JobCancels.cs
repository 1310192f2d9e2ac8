namespace Gamut.Pool.Worker;

/// <summary>
/// Which job the worker may still run, and the token of the one it runs: a cancel for the running job cancels its
/// token; one for a job not yet started is kept until that job's turn (jobs run in the order sent, so cancels for
/// earlier ones are dropped then); once the worker is terminating, the running job is cancelled and no other starts.
/// </summary>
internal sealed class JobCancels
{
    private readonly object _lock = new();
    private readonly HashSet<long> _cancelled = [];
    private long _runningSeq;
    private bool _terminating;
    private CancellationTokenSource _token = new();

    /// <summary>The token of the run in progress (or of the next one; the initializer runs with it).</summary>
    public CancellationToken Current
    {
        get
        {
            lock (_lock)
            {
                return _token.Token;
            }
        }
    }

    /// <summary>Cancels not yet applied to a job (for jobs still to come).</summary>
    public int Waiting
    {
        get
        {
            lock (_lock)
            {
                return _cancelled.Count;
            }
        }
    }

    /// <summary>The token to run job <paramref name="seq"/> with, or null when it was cancelled before it started (or the worker is terminating).</summary>
    public CancellationToken? Begin(long seq)
    {
        lock (_lock)
        {
            if (_cancelled.Count > 0)
            {
                // Jobs run in the order sent: a cancel for an earlier one came too late to matter.
                var cancelled = _cancelled.Remove(seq);
                _cancelled.RemoveWhere(s => s < seq);
                if (cancelled)
                {
                    return null;
                }
            }

            if (_terminating)
            {
                return null;
            }

            if (_token.IsCancellationRequested)
            {
                _token.Dispose();
                _token = new CancellationTokenSource();
            }

            _runningSeq = seq;
            return _token.Token;
        }
    }

    /// <summary>The job that began last has returned.</summary>
    public void End()
    {
        lock (_lock)
        {
            _runningSeq = 0;
        }
    }

    /// <summary>Cancels job <paramref name="seq"/>: now if it runs, when its turn comes if it has not started.</summary>
    public void Cancel(long seq)
    {
        lock (_lock)
        {
            if (_runningSeq == seq)
            {
                _token.Cancel();
            }
            else
            {
                _cancelled.Add(seq);
            }
        }
    }

    /// <summary>The worker is being stopped: the running job's token is cancelled, and no job starts any more.</summary>
    public void Terminate()
    {
        lock (_lock)
        {
            _terminating = true;
            _token.Cancel();
        }
    }
}
