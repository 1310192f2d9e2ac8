using System.Globalization;
using Gamut.Ipc.Native;
using Gamut.Pool.Protocol;
using Microsoft.Extensions.Logging;

namespace Gamut.Pool.Engine;

/// <summary>What a connecting worker says first, with the kernel's word (SO_PEERCRED) on who is at the other end.</summary>
internal readonly record struct WorkerHello(int WorkerId, int Pid, string Token, int PeerPid, uint PeerUid)
{
    /// <summary>Whether the kernel confirms the pid it claims, and that it runs as this process's user.</summary>
    public bool PeerMatches => PeerPid == Pid && PeerUid == LinuxNative.GetEffectiveUserId();
}

/// <summary>
/// Where a pool's workers connect: an abstract Unix socket (nothing on disk, gone with the last descriptor; the name
/// carries a random nonce), an accept thread (blocking accepts need no socket engine), and a reader thread per
/// connection. A connection is handed on only once its hello was read (within 10 s) and the pool claimed it as one of
/// its starting workers (pid, uid and per-worker secret); anything else is refused and closed.
/// </summary>
internal sealed class WorkerListener : IDisposable
{
    private static readonly TimeSpan HelloTimeout = TimeSpan.FromSeconds(10);
    private readonly UnixStream _listener;
    private readonly long _maxFrame;
    private readonly Func<WorkerHello, FrameSocket, WorkerHandle?> _claim;
    private readonly Action<WorkerHandle, FrameSocket> _serve;
    private readonly ILogger _logger;

    /// <param name="pool">The pool's number in this process (part of the name).</param>
    /// <param name="maxFrame">The largest frame a worker may send.</param>
    /// <param name="claim">Finds the starting worker that said hello and gives it the channel, or null (refused).</param>
    /// <param name="serve">Runs a claimed worker's channel on its reader thread until the channel ends.</param>
    /// <param name="logger">Where refusals are told.</param>
    public WorkerListener(int pool, long maxFrame, Func<WorkerHello, FrameSocket, WorkerHandle?> claim, Action<WorkerHandle, FrameSocket> serve, ILogger logger)
    {
        Span<byte> random = stackalloc byte[6];
        LinuxNative.FillRandom(random);
        Name = string.Create(CultureInfo.InvariantCulture, $"gamut-pool-{Environment.ProcessId}-{pool}-{Convert.ToHexString(random).ToLowerInvariant()}");
        _maxFrame = maxFrame;
        _claim = claim;
        _serve = serve;
        _logger = logger;
        _listener = UnixStream.Listen(Name, 128);
        new Thread(static s => ((WorkerListener)s!).AcceptLoop()) { IsBackground = true, Name = "gamut-pool-accept" }.Start(this);
    }

    /// <summary>The socket's abstract name, for the workers' command line.</summary>
    public string Name { get; }

    /// <summary>Stops accepting (connected workers keep their channels).</summary>
    public void Dispose() => _listener.Dispose();

    private void AcceptLoop()
    {
        while (true)
        {
            UnixStream socket;
            try
            {
                socket = _listener.Accept();
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException)
            {
                return;
            }

            new Thread(static s =>
            {
                var (listener, sock) = ((WorkerListener, UnixStream))s!;
                listener.Handshake(sock);
            })
            {
                IsBackground = true,
                Name = "gamut-pool-reader",
            }.Start((this, socket));
        }
    }

    private void Handshake(UnixStream socket)
    {
        var channel = new FrameSocket(socket, _maxFrame);
        WorkerHandle? worker;
        try
        {
            channel.ReadTimeout = HelloTimeout;
            if (!channel.TryRead(out var type, out var body) || type != FrameType.Hello)
            {
                throw new ProtocolException("no hello");
            }

            var r = new FrameReader(body.Span);
            var id = (int)r.U32();
            var pid = (int)r.U32();
            var token = r.String();
            var (peerPid, peerUid) = socket.Peer();
            worker = _claim(new WorkerHello(id, pid, token, peerPid, peerUid), channel)
                ?? throw new ProtocolException($"a connection from pid {peerPid} that is not a worker of this pool");
            channel.ReadTimeout = null;
        }
        catch (Exception e) when (e is ProtocolException or ObjectDisposedException or IOException)
        {
            _logger.LogWarning("the pool refused a connection: {Error}", e.Message);
            channel.Dispose();
            return;
        }

        _serve(worker, channel);
    }
}
