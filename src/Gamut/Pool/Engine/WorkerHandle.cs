using System.Diagnostics;
using Gamut.Pool.Launch;
using Gamut.Pool.Protocol;

namespace Gamut.Pool.Engine;

/// <summary>Where a worker is in its life.</summary>
internal enum WorkerState
{
    /// <summary>Spawned; not yet connected, initialized and ready.</summary>
    Starting,

    /// <summary>Takes work.</summary>
    Ready,

    /// <summary>Takes no more work; stops once its in-flight work is done (recycling).</summary>
    Retiring,

    /// <summary>Being stopped (SIGTERM sent, SIGKILL after the grace period).</summary>
    Stopping,

    /// <summary>Gone.</summary>
    Dead,
}

/// <summary>Why the pool stopped a worker (null: it ended on its own, a crash).</summary>
internal enum StopReason
{
    None,
    Timeout,
    Cancel,
    Recycle,
    Memory,
    Shutdown,
    StartTimeout,
    ChannelClosed,
}

/// <summary>The pool's side of one worker: its process, channel, slot, in-flight work and state. Guarded by the pool's lock unless noted.</summary>
internal sealed class WorkerHandle
{
    private readonly object _outboxLock = new();
    private readonly object _sendLock = new();
    private readonly Queue<string> _stderr = new();
    private readonly int _stderrLines;
    private FrameWriter _outbox = new(16 * 1024);
    private FrameWriter _sending = new(16 * 1024);
    private Microsoft.Win32.SafeHandles.SafeFileHandle? _statm;

    public WorkerHandle(int id, string token, WorkerSlot slot, int stderrLines)
    {
        Id = id;
        Token = token;
        Slot = slot;
        _stderrLines = stderrLines;
        StartedAt = Stopwatch.GetTimestamp();
    }

    public int Id { get; }

    public string Token { get; }

    public WorkerSlot Slot { get; }

    public long StartedAt { get; }

    public IWorkerProcess? Process { get; set; }

    public int Pid => Process?.Pid ?? 0;

    /// <summary>Set once the worker has said hello (guarded by the pool's lock).</summary>
    public FrameSocket? Channel { get; set; }

    public WorkerState State { get; set; }

    public bool WasReady { get; set; }

    public StopReason StopReason { get; set; }

    public long TermSentAt { get; set; }

    public bool KillSent { get; set; }

    /// <summary>Why it failed to start, when it said so (an initializer error).</summary>
    public string? StartError { get; set; }

    /// <summary>Dispatched and not yet answered, in the order sent (which is the order the worker runs them).</summary>
    public LinkedList<PoolJob> InFlight { get; } = new();

    /// <summary>Frames sent whose last unit is not yet answered: a worker gets a new frame while it has fewer than two.</summary>
    public int FramesInFlight { get; set; }

    public HashSet<int> DefinedJobs { get; } = [];

    public long ItemsSent { get; set; }

    /// <summary>Results frames read whole from the worker (only its reader thread counts; read after <see cref="ReaderDone"/>).</summary>
    public long ResultFrames { get; set; }

    /// <summary>Set once by whoever settles the worker's end (0 → 1), so its kept results are taken once.</summary>
    public int Settling;

    /// <summary>When its memory was last read (Stopwatch ticks; only the reader thread of this worker uses it).</summary>
    public long LastMemoryCheck { get; set; }

    /// <summary>Completes when the reader thread has seen the end of the channel.</summary>
    public TaskCompletionSource ReaderDone { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void AddStderr(string line)
    {
        lock (_stderr)
        {
            // The runtime's fatal-error headline (what died and why) comes before a stack that can be far longer
            // than the tail: keep it apart so a crash report always carries it.
            // ("Process terminated." puts its message on the next line, so that line is kept too.)
            if (_keepNext)
            {
                _keepNext = false;
                _headlines.Add(line);
            }
            else if (_headlines.Count < 4 && Array.Exists(FatalHeadlines, h => line.StartsWith(h, StringComparison.Ordinal)))
            {
                _headlines.Add(line);
                _keepNext = true;
            }

            _stderr.Enqueue(line);
            while (_stderr.Count > _stderrLines)
            {
                _stderr.Dequeue();
            }
        }
    }

    public IReadOnlyList<string> StderrTail()
    {
        lock (_stderr)
        {
            var missing = _headlines.Where(h => !_stderr.Contains(h)).ToList();
            return missing.Count == 0 ? [.. _stderr] : [.. missing, "...", .. _stderr];
        }
    }

    private static readonly string[] FatalHeadlines = ["Process terminated.", "Stack overflow.", "Unhandled exception.", "Fatal error.", "Out of memory."];
    private readonly List<string> _headlines = [];
    private bool _keepNext;

    /// <summary>Adds frames to send; call <see cref="Flush"/> after leaving the pool's lock. The writer is only valid inside <paramref name="write"/>.</summary>
    public void Enqueue<TState>(TState state, Action<FrameWriter, TState> write)
    {
        lock (_outboxLock)
        {
            write(_outbox, state);
        }
    }

    /// <summary>Sends what was enqueued, in order. Several threads may call it; one sends at a time.</summary>
    public void Flush()
    {
        lock (_sendLock)
        {
            FrameWriter batch;
            lock (_outboxLock)
            {
                if (_outbox.Length == 0)
                {
                    return;
                }

                batch = _outbox;
                _outbox = _sending;
                _sending = batch;
            }

            try
            {
                Channel?.Send(batch.Written);
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException)
            {
                // The worker is gone; its watcher handles the in-flight work.
            }

            batch.Clear();
        }
    }

    /// <summary>The worker's resident memory in bytes, from /proc (one read of a file kept open); null when unknown.</summary>
    public long? ResidentBytes()
    {
        try
        {
            lock (_stderr)
            {
                _statm ??= File.OpenHandle($"/proc/{Pid}/statm");
                Span<byte> text = stackalloc byte[128];
                var n = RandomAccess.Read(_statm, text, 0);
                // "size resident shared text lib data dt", in pages.
                var fields = text[..n];
                var space = fields.IndexOf((byte)' ');
                var rest = fields[(space + 1)..];
                var end = rest.IndexOf((byte)' ');
                return System.Buffers.Text.Utf8Parser.TryParse(end < 0 ? rest : rest[..end], out long pages, out _)
                    ? pages * Environment.SystemPageSize
                    : null;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return null;
        }
    }

    /// <summary>Lets go of what the handle holds open for a worker that has ended.</summary>
    public void Close()
    {
        lock (_stderr)
        {
            _statm?.Dispose();
            _statm = null;
        }
    }

    public override string ToString() => $"worker {Id} (pid {Pid})";
}
