using Gamut.Pool.Protocol;

namespace Gamut.Pool.Worker;

/// <summary>
/// The worker's second thread. Parked while the job thread is idle (checking the parent pid every 200 ms); while
/// frames run it looks every millisecond whether the same frame is still running, and if so reads the channel until
/// that frame ends, so a cancel reaches the running job and the pool's death ends the worker whatever the job is
/// doing. It also sends results that waited behind a long-running job (<see cref="ResultOutbox.FlushIfStale"/>).
/// Short frames never see it: it costs them no system call.
/// </summary>
internal sealed class ChannelWatcher
{
    private static readonly TimeSpan ParentCheck = TimeSpan.FromMilliseconds(200);

    private readonly JobThreadState _state;
    private readonly FrameInbox _inbox;
    private readonly FrameSocket _channel;
    private readonly ResultOutbox _outbox;
    private readonly Action _checkParent;
    private long _parentChecked;

    public ChannelWatcher(JobThreadState state, FrameInbox inbox, FrameSocket channel, ResultOutbox outbox, Action checkParent)
    {
        _state = state;
        _inbox = inbox;
        _channel = channel;
        _outbox = outbox;
        _checkParent = checkParent;
    }

    /// <summary>Starts the watcher on a background thread of its own.</summary>
    public void Start() => new Thread(Run) { IsBackground = true, Name = "gamut-worker-watch" }.Start();

    private void Run()
    {
        _parentChecked = Environment.TickCount64;
        while (true)
        {
            if (!_state.WaitBusy(ParentCheck))
            {
                CheckParent();
                continue;
            }

            var idle = 0;
            while (idle < 3)
            {
                var frame = _state.Frames;
                var busy = _state.Busy;
                Thread.Sleep(1);
                _outbox.FlushIfStale();
                if (Environment.TickCount64 - _parentChecked > ParentCheck.TotalMilliseconds)
                {
                    CheckParent();
                }

                if (!_state.Busy)
                {
                    idle++;
                    continue;
                }

                idle = 0;
                if (busy && _state.Frames == frame)
                {
                    WatchFrame(frame);
                }
            }
        }
    }

    /// <summary>Reads the channel for the job thread while it runs frame number <paramref name="frame"/>.</summary>
    private void WatchFrame(long frame)
    {
        bool StillRunning() => _state.Busy && _state.Frames == frame;

        while (StillRunning())
        {
            var readable = _channel.WaitReadable(_outbox.HasResults ? ResultOutbox.FlushDelay : TimeSpan.FromMilliseconds(100));
            _outbox.FlushIfStale();
            if (!readable)
            {
                CheckParent();
                continue;
            }

            _inbox.ReadAhead(StillRunning);
        }
    }

    private void CheckParent()
    {
        _checkParent();
        _parentChecked = Environment.TickCount64;
    }
}
