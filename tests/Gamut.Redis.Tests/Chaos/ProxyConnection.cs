using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using System.Threading.Channels;

namespace Gamut.Redis.Tests.Chaos;

/// <summary>
/// One relayed connection of a <see cref="FaultProxy"/>: commands pass to Redis as they come (unless blackholed);
/// replies are read at once, stamped with the time they may leave (latency), and written in order by a second
/// loop that applies the blackhole, the data limit, the slicer and the bandwidth cap in force when they leave.
/// Data is never dropped from a live connection (that would desynchronise RESP, which TCP never does): a fault
/// delays it, or ends the connection.
/// </summary>
internal sealed class ProxyConnection
{
    private static readonly byte[] Subscribe = Encoding.ASCII.GetBytes("SUBSCRIBE");
    private readonly FaultProxy _proxy;
    private readonly Socket _client;
    private readonly Socket _upstream;
    private readonly Channel<(byte[] Data, long Due)> _replies = Channel.CreateUnbounded<(byte[], long)>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private int _closed;
    private volatile bool _subscriber;
    private int _armedVersion = -1;

    public ProxyConnection(FaultProxy proxy, Socket client, Socket upstream)
    {
        _proxy = proxy;
        _client = client;
        _upstream = upstream;
    }

    /// <summary>Whether the client has sent SUBSCRIBE on this connection (its PUB/SUB connection).</summary>
    public bool IsSubscriber => _subscriber;

    private bool IsClosed => Volatile.Read(ref _closed) == 1;

    public void Start()
    {
        _ = Task.Run(RelayCommandsAsync);
        _ = Task.Run(ReadRepliesAsync);
        _ = Task.Run(WriteRepliesAsync);
    }

    /// <summary>Ends the connection with a TCP reset, as a peer that crashed or a middlebox would.</summary>
    public void Reset()
    {
        if (Interlocked.Exchange(ref _closed, 1) == 0)
        {
            try
            {
                _client.LingerState = new System.Net.Sockets.LingerOption(true, 0);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
            }

            _client.Close();
            _upstream.Close();
            _proxy.Forget(this);
        }
    }

    /// <summary>Ends the connection with an orderly close (FIN) both ways.</summary>
    public void Close()
    {
        if (Interlocked.Exchange(ref _closed, 1) == 0)
        {
            foreach (var s in new[] { _client, _upstream })
            {
                try
                {
                    s.Shutdown(SocketShutdown.Both);
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException)
                {
                }

                s.Close();
            }

            _proxy.Forget(this);
        }
    }

    private Toxics Current
    {
        get
        {
            var t = _proxy.Toxics;
            return t.AppliesTo(_subscriber) ? t : Toxics.None;
        }
    }

    private async Task RelayCommandsAsync()
    {
        var buffer = new byte[64 * 1024];
        var tail = Array.Empty<byte>();
        try
        {
            while (true)
            {
                var n = await _client.ReceiveAsync(buffer, SocketFlags.None);
                if (n == 0)
                {
                    break;
                }

                // A word may straddle two reads: look at the end of the previous one too.
                var window = tail.Concat(buffer.Take(n)).ToArray();
                tail = window[Math.Max(0, window.Length - 64)..];
                if (!_subscriber)
                {
                    _subscriber = Contains(window, Subscribe);
                }

                // Armed before the request goes upstream, so its reply is read after the arming.
                if (Current.LimitAfterRequest is { } marker && Contains(window, Encoding.ASCII.GetBytes(marker.ToUpperInvariant())))
                {
                    Volatile.Write(ref _armedVersion, _proxy.Version);
                }

                await WhileBlackholedAsync();
                await _upstream.SendAsync(buffer.AsMemory(0, n), SocketFlags.None);
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }

        Close();
    }

    private async Task ReadRepliesAsync()
    {
        var buffer = new byte[64 * 1024];
        long lastDue = 0;
        try
        {
            while (true)
            {
                var n = await _upstream.ReceiveAsync(buffer, SocketFlags.None);
                if (n == 0)
                {
                    break;
                }

                var t = Current;
                var delay = t.Latency + (t.Jitter * ((Random.Shared.NextDouble() * 2) - 1));
                var due = Math.Max(lastDue, Stopwatch.GetTimestamp() + (long)(Math.Max(0, delay.TotalSeconds) * Stopwatch.Frequency));
                lastDue = due;
                _replies.Writer.TryWrite((buffer[..n], due));
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }

        _replies.Writer.TryComplete();
    }

    private async Task WriteRepliesAsync()
    {
        var version = -1;
        long sentSinceChange = 0;
        long rateStart = 0, rateBytes = 0;
        try
        {
            await foreach (var (data, due) in _replies.Reader.ReadAllAsync())
            {
                var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait);
                }

                await WhileBlackholedAsync();
                if (IsClosed)
                {
                    return;
                }

                var t = Current;
                if (_proxy.Version != version)
                {
                    version = _proxy.Version;
                    sentSinceChange = 0;
                    rateStart = Stopwatch.GetTimestamp();
                    rateBytes = 0;
                }

                var length = data.Length;
                var cut = false;
                var armed = t.LimitAfterRequest is null || Volatile.Read(ref _armedVersion) == version;
                if (!armed)
                {
                    sentSinceChange = 0;
                }
                else if (t.LimitReplyBytes is { } limit && sentSinceChange + length > limit)
                {
                    length = (int)Math.Max(0, limit - sentSinceChange);
                    cut = true;
                }

                var offset = 0;
                while (offset < length)
                {
                    var piece = Math.Min(length - offset, 64 * 1024);
                    if (t.SliceBytes is { } slice)
                    {
                        piece = Math.Min(piece, Random.Shared.Next(1, slice + 1));
                        _proxy.CountSegment();
                    }

                    if (t.BytesPerSecond is { } rate)
                    {
                        piece = Math.Min(piece, Math.Max(1, rate / 50));
                        rateBytes += piece;
                        var ahead = TimeSpan.FromSeconds((double)rateBytes / rate) - Stopwatch.GetElapsedTime(rateStart);
                        if (ahead > TimeSpan.Zero)
                        {
                            await Task.Delay(ahead);
                        }
                    }

                    await _client.SendAsync(data.AsMemory(offset, piece), SocketFlags.None);
                    offset += piece;
                }

                sentSinceChange += length;
                if (cut)
                {
                    _proxy.CountCut();
                    Close();
                    return;
                }
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }

        Close();
    }

    private async Task WhileBlackholedAsync()
    {
        while (!IsClosed && Current.Blackhole)
        {
            await Task.Delay(10);
        }
    }

    private static bool Contains(byte[] haystack, byte[] needle)
    {
        for (var i = 0; i + needle.Length <= haystack.Length; i++)
        {
            var match = true;
            for (var j = 0; j < needle.Length && match; j++)
            {
                match = char.ToUpperInvariant((char)haystack[i + j]) == (char)needle[j];
            }

            if (match)
            {
                return true;
            }
        }

        return false;
    }
}
