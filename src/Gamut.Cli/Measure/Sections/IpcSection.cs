using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Gamut.Cli.Measure.Native;
using Gamut.Ipc;

namespace Gamut.Cli.Measure.Sections;

/// <summary>
/// Moving data from this process to a peer process, 64 B to 64 MiB a message, over a pipe, a Unix socket, shared
/// memory (a Gamut.Ipc shared array, a futex to say "ready" and "taken") and TCP on loopback; through Redis when
/// --redis is given. A sample is one message: sent, taken whole by the peer into its own memory, acknowledged. The
/// peer counts the bytes it took and the run checks them against the bytes sent.
/// </summary>
internal static class IpcSection
{
    public static async Task RunAsync(MeasureContext ctx, CancellationToken cancellationToken)
    {
        var sizes = ctx.Budget.IpcSizes;
        var largest = sizes.Max();
        var source = GC.AllocateUninitializedArray<byte>((int)largest, pinned: true);
        Random.Shared.NextBytes(source);

        ctx.Step("ipc: pipe");
        var toPeer = Fd.Pipe();
        var fromPeer = Fd.Pipe();
        var pid = Peer.StartProcess(["sink"], toPeer.Read, fromPeer.Write);
        Fd.Close(toPeer.Read);
        Fd.Close(fromPeer.Write);
        Stream(ctx, "pipe", new FdLink(fromPeer.Read, toPeer.Write), pid, source, "two pipes (data one way, a one-byte acknowledgement back)", cancellationToken);

        ctx.Step("ipc: Unix socket");
        var (mine, theirs) = Fd.UnixPair();
        pid = Peer.StartProcess(["sink"], theirs, theirs);
        Fd.Close(theirs);
        Stream(ctx, "unix socket", new FdLink(mine, mine), pid, source, "a Unix stream socket pair", cancellationToken);

        ctx.Step("ipc: shared memory");
        SharedMemory(ctx, source, cancellationToken);

        ctx.Step("ipc: TCP loopback");
        using (var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            listener.Listen(1);
            var port = ((IPEndPoint)listener.LocalEndPoint!).Port;
            pid = Peer.StartProcess(["tcp-sink", port.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            using var accepted = await listener.AcceptAsync(cancellationToken).AsTask().WaitAsync(TimeSpan.FromSeconds(60), cancellationToken).ConfigureAwait(false);
            Stream(ctx, "tcp loopback", new SocketLink(accepted), pid, source, "TCP on 127.0.0.1, Nagle off", cancellationToken);
        }

        if (ctx.Args.Redis is { } url)
        {
            ctx.Step("ipc: Redis");
            await RedisFigures.DataAsync(ctx, url, source, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            ctx.Skip("ipc", "Redis round trip", "no --redis URL given");
        }
    }

    /// <summary>How many messages of <paramref name="size"/> to time: about the same bytes at every size, within bounds.</summary>
    public static int SamplesFor(Budget budget, long size) =>
        (int)Math.Clamp(budget.Scale * 512L * 1024 * 1024 / size, 3, budget.Count(2000, 20));

    private static void Stream(MeasureContext ctx, string transport, ILink link, int pid, byte[] source, string how, CancellationToken cancellationToken)
    {
        long sent = 0;
        try
        {
            foreach (var size in ctx.Budget.IpcSizes)
            {
                var header = new byte[4];
                BinaryPrimitives.WriteInt32LittleEndian(header, (int)size);
                var samples = SamplesFor(ctx.Budget, size);
                var warmup = Math.Max(1, samples / 10);
                var timed = Sampler.Time(warmup, samples, () =>
                {
                    link.Write(header);
                    link.Write(source.AsSpan(0, (int)size));
                    Span<byte> ack = stackalloc byte[1];
                    link.ReadExactly(ack);
                    sent += size;
                }, ctx.Cap, cancellationToken: cancellationToken);
                ctx.Add(Figure.From("ipc", transport, $"{transport} {Units.Size(size)}", timed, timed.Count * size, "bytes",
                    $"each message written whole to {how}, read by the peer process into its memory, then acknowledged") with { Bytes = size });
            }

            link.Write([0, 0, 0, 0]);
            Span<byte> count = stackalloc byte[8];
            link.ReadExactly(count);
            StartSection.Confirm(BinaryPrimitives.ReadInt64LittleEndian(count), sent, $"{transport}: bytes");
        }
        finally
        {
            link.Dispose();
            Spawn.Wait(pid);
        }
    }

    private static unsafe void SharedMemory(MeasureContext ctx, byte[] source, CancellationToken cancellationToken)
    {
        var name = $"measure-{Environment.ProcessId}-shm";
        var largest = ctx.Budget.IpcSizes.Max();
        using var region = SharedArray<byte>.Create(name, Peer.ShmHeader + largest);
        var pid = -1;
        try
        {
            var r = (byte*)Unsafe.AsPointer(ref region[0]);
            var sequence = (int*)r;
            var acknowledged = (int*)(r + 4);
            pid = Peer.StartProcess(["shm", name]);
            long sent = 0;
            foreach (var inPlace in new[] { false, true })
            {
                *(int*)(r + 24) = inPlace ? 1 : 0;
                foreach (var size in ctx.Budget.IpcSizes)
                {
                    var samples = SamplesFor(ctx.Budget, size);
                    var timed = Sampler.Time(Math.Max(1, samples / 10), samples, () =>
                    {
                        if (!inPlace)
                        {
                            fixed (byte* s = source)
                            {
                                Buffer.MemoryCopy(s, r + Peer.ShmHeader, largest, size);
                            }
                        }

                        *(long*)(r + 8) = size;
                        var next = Volatile.Read(ref *sequence) + 1;
                        Futex.Set(sequence, next);
                        while (Futex.WaitWhile(acknowledged, next - 1) != next)
                        {
                        }

                        sent += size;
                    }, ctx.Cap, cancellationToken: cancellationToken);
                    var group = inPlace ? "shared memory, in place" : "shared memory";
                    ctx.Add(Figure.From("ipc", group, $"{group} {Units.Size(size)}", timed, timed.Count * size, "bytes", inPlace
                        ? "each message already in a Gamut.Ipc shared array (written there by its producer); a futex wakes the peer process, which reads every word in place and acknowledges by futex"
                        : "each message copied into a Gamut.Ipc shared array, a futex wakes the peer process, which copies it out and acknowledges by futex") with { Bytes = size });
                }
            }

            Futex.Set(sequence, -1);
            while (Volatile.Read(ref *acknowledged) is var seen && seen != -1)
            {
                Futex.WaitWhile(acknowledged, seen);
            }

            StartSection.Confirm(*(long*)(r + 16), sent, "shared memory: bytes");
        }
        finally
        {
            if (pid > 0)
            {
                Spawn.Wait(pid);
            }

            IpcObjects.Delete(name);
        }
    }
}
