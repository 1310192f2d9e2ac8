using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using Gamut.Cli.Measure.Native;
using Gamut.Ipc;

namespace Gamut.Cli.Measure.Sections;

/// <summary>
/// Switching: a ping-pong between two threads of this process, and between this process and a peer process, over a
/// pipe (one byte each way) and over a futex in shared memory (Gamut.Ipc's shared array, one word flipped each way).
/// One round trip is two switches when the two sides share a core, and two wake-ups across cores otherwise.
/// Outside tools do the same where they can run here (perf bench sched pipe; a C program), side by side.
/// </summary>
internal static class SwitchSection
{
    public static async Task RunAsync(MeasureContext ctx, CancellationToken cancellationToken)
    {
        var b = ctx.Budget;
        var warmup = b.Count(2000, 50);
        var samples = b.Count(20_000, 200);

        ctx.Step("switch: threads over a pipe");
        ctx.Add(PipePingPong(ctx, processes: false, warmup, samples, cancellationToken));
        ctx.Step("switch: threads over a futex");
        ctx.Add(FutexPingPong(ctx, processes: false, warmup, samples, cancellationToken));
        ctx.Step("switch: processes over a pipe");
        ctx.Add(PipePingPong(ctx, processes: true, warmup, samples, cancellationToken));
        ctx.Step("switch: processes over a futex");
        ctx.Add(FutexPingPong(ctx, processes: true, warmup, samples, cancellationToken));
        await OutsideTools.RunAsync(ctx, cancellationToken).ConfigureAwait(false);
    }

    private static Figure PipePingPong(MeasureContext ctx, bool processes, int warmup, int samples, CancellationToken cancellationToken)
    {
        var toPeer = Fd.Pipe();
        var fromPeer = Fd.Pipe();
        Thread? thread = null;
        var pid = -1;
        if (processes)
        {
            pid = Peer.StartProcess(["pingpong"], toPeer.Read, fromPeer.Write);
            Fd.Close(toPeer.Read);
            Fd.Close(fromPeer.Write);
        }
        else
        {
            thread = new Thread(() =>
            {
                using var peerEnd = new FdLink(toPeer.Read, fromPeer.Write);
                Peer.PingPong(peerEnd);
            }) { IsBackground = true, Name = "measure-peer" };
            thread.Start();
        }

        var link = new FdLink(fromPeer.Read, toPeer.Write);
        try
        {
            var times = Sampler.Time(warmup, samples, () => RoundTrip(link), ctx.Cap, cancellationToken: cancellationToken);
            link.Write([1]);
            Span<byte> count = stackalloc byte[8];
            link.ReadExactly(count);
            var confirmed = BinaryPrimitives.ReadInt64LittleEndian(count);
            StartSection.Confirm(confirmed, warmup + times.Count, "pipe ping-pong");
            var who = processes ? "process" : "thread";
            return Figure.From("switch", $"{who}s", $"{who} ↔ {who}: pipe", times, confirmed, "round trips",
                $"one byte each way over two pipes between two {who}{(processes ? "es" : "s")}, one round trip a sample; the peer counts the round trips");
        }
        finally
        {
            link.Dispose();
            thread?.Join();
            if (pid > 0)
            {
                Spawn.Wait(pid);
            }
        }
    }

    private static void RoundTrip(FdLink link)
    {
        Span<byte> one = [0];
        link.Write(one);
        link.ReadExactly(one);
    }

    private static unsafe Figure FutexPingPong(MeasureContext ctx, bool processes, int warmup, int samples, CancellationToken cancellationToken)
    {
        var name = $"measure-{Environment.ProcessId}-futex-{(processes ? "p" : "t")}";
        using var words = SharedArray<int>.Create(name, 16);
        try
        {
            var w = (int*)Unsafe.AsPointer(ref words[0]);
            Thread? thread = null;
            var pid = -1;
            if (processes)
            {
                pid = Peer.StartProcess(["futex", name]);
            }
            else
            {
                thread = new Thread(() => Peer.FutexPong(w)) { IsBackground = true, Name = "measure-peer" };
                thread.Start();
            }

            try
            {
                var times = Sampler.Time(warmup, samples, () =>
                {
                    var turn = Volatile.Read(ref *w) + 1;
                    Futex.Set(w, turn);
                    Futex.WaitWhile(w, turn);
                }, ctx.Cap, cancellationToken: cancellationToken);
                Futex.Set(w, -1);
                Futex.WaitWhile(w + 1, 0);
                var confirmed = *(long*)(w + 2);
                StartSection.Confirm(confirmed, warmup + times.Count, "futex ping-pong");
                var who = processes ? "process" : "thread";
                return Figure.From("switch", $"{who}s", $"{who} ↔ {who}: futex", times, confirmed, "round trips",
                    $"a shared word flipped each way, the other side asleep in futex_wait until woken (Gamut.Ipc shared array); the peer counts the round trips");
            }
            finally
            {
                if (Volatile.Read(ref *w) != -1)
                {
                    Futex.Set(w, -1);
                }

                thread?.Join();
                if (pid > 0)
                {
                    Spawn.Wait(pid);
                }
            }
        }
        finally
        {
            IpcObjects.Delete(name);
        }
    }
}
