using System.Buffers;
using Gamut.Pool.Protocol;

namespace Gamut.Pool.Worker;

/// <summary>
/// The worker's reading side of the channel, shared by two readers: the job thread between frames, and the watcher
/// while a frame runs long. Whole frames are read under one lock; a cancel is applied as soon as it is read (it never
/// waits behind the running job); frames the watcher reads for the job thread wait here in order.
/// </summary>
/// <remarks>The end of the stream means the pool closed the channel or died: nobody is left to take results, so the
/// process ends at once through <c>exit</c>, whatever is running. <c>exit</c> does not return (tests pass one that
/// throws).</remarks>
internal sealed class FrameInbox
{
    private readonly object _lock = new();
    private readonly Queue<Frame> _waiting = new();
    private readonly FrameSocket _channel;
    private readonly JobCancels _cancels;
    private readonly Action<int> _exit;

    public FrameInbox(FrameSocket channel, JobCancels cancels, Action<int> exit)
    {
        _channel = channel;
        _cancels = cancels;
        _exit = exit;
    }

    /// <summary>Frames the watcher read that the job thread has not taken yet.</summary>
    public int Waiting
    {
        get
        {
            lock (_lock)
            {
                return _waiting.Count;
            }
        }
    }

    /// <summary>The job thread's next frame: one the watcher read, else the next on the channel (waiting for it). Return its buffer with <see cref="Frame.Release"/>.</summary>
    public Frame Next()
    {
        lock (_lock)
        {
            while (true)
            {
                if (_waiting.TryDequeue(out var queued))
                {
                    return queued;
                }

                if (ReadLocked() is { } read)
                {
                    return read;
                }
            }
        }
    }

    /// <summary>
    /// The watcher reads one frame for the job thread if one is waiting on the channel and <paramref name="stillRunning"/>
    /// holds under the lock (the job thread may have ended its frame and become the reader again).
    /// </summary>
    public void ReadAhead(Func<bool> stillRunning)
    {
        lock (_lock)
        {
            if (!stillRunning() || !_channel.WaitReadable(TimeSpan.Zero))
            {
                return;
            }

            if (ReadLocked() is { } frame)
            {
                _waiting.Enqueue(frame);
            }
        }
    }

    /// <summary>Reads one frame: a cancel is applied and gives null; the end of the stream or a frame a worker never gets ends the process.</summary>
    private Frame? ReadLocked()
    {
        FrameType type;
        ReadOnlyMemory<byte> body;
        try
        {
            if (!_channel.TryRead(out type, out body))
            {
                type = 0;
            }
        }
        catch (Exception e) when (e is IOException or ProtocolException or ObjectDisposedException)
        {
            type = 0;
            body = default;
        }

        switch (type)
        {
            case 0:
                _exit(0);
                return null;
            case FrameType.Cancel:
                _cancels.Cancel(new FrameReader(body.Span).I64());
                return null;
            case FrameType.Jobs or FrameType.DefineJob or FrameType.Stop:
                // The frame's bytes are the channel's buffer until the next read: keep a copy.
                var owned = ArrayPool<byte>.Shared.Rent(Math.Max(1, body.Length));
                body.Span.CopyTo(owned);
                return new Frame(type, owned, body.Length);
            default:
                _exit(WorkerHost.ExitProtocol);
                return null;
        }
    }

    /// <summary>One frame for the job thread, in a pooled buffer.</summary>
    public sealed record Frame(FrameType Type, byte[] Buffer, int Length)
    {
        public ReadOnlySpan<byte> Body => Buffer.AsSpan(0, Length);

        public ReadOnlyMemory<byte> Memory => Buffer.AsMemory(0, Length);

        public void Release() => ArrayPool<byte>.Shared.Return(Buffer);
    }
}
