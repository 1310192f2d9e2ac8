using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Gamut.Cli.Measure.Native;
using Gamut.Ipc;

namespace Gamut.Cli.Measure;

/// <summary>
/// The other side of every switch and data measurement: the same loops run on a thread of this process or in a
/// peer process (<c>gamut measure --peer MODE</c>, hidden). Each loop counts the work it saw and hands the count back
/// when told to stop, so a figure reports what the peer confirmed, not what the measurer believes it sent.
/// </summary>
/// <remarks>
/// Stream protocol (pipes, Unix sockets, TCP): ping-pong sends one byte 0 and gets one byte back; a byte 1 asks for
/// the count (8 bytes). The sink gets a 4-byte length then that many bytes and answers one byte; length 0 asks for
/// the byte count (8 bytes). Shared memory: word 0 is the turn (odd: the measurer's ping, even: the peer's pong,
/// -1: stop); for data, word 0 is the sequence, word 1 the acknowledgement, bytes 8-15 the length, 16-23 the peer's
/// byte count, bytes 24-27 the mode (0: copy out, 1: read in place), and the data starts at <see cref="ShmHeader"/>.
/// </remarks>
internal static unsafe class Peer
{
    /// <summary>Bytes before the data in a shared-memory data region.</summary>
    public const int ShmHeader = 64;

    /// <summary>The chunk the receiving side copies through: every byte moved lands in private memory, on every transport alike.</summary>
    public const int ChunkBytes = 1 << 20;

    /// <summary>Runs a peer process's loop: <c>measure --peer MODE [ARG]</c>; returns its exit status.</summary>
    public static int RunChild(IReadOnlyList<string> args)
    {
        switch (args)
        {
            case ["pingpong"]:
                using (var link = new FdLink(0, 1))
                {
                    PingPong(link);
                }

                return 0;
            case ["sink"]:
                using (var link = new FdLink(0, 1))
                {
                    Sink(link);
                }

                return 0;
            case ["tcp-sink", var port]:
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                socket.Connect(new IPEndPoint(IPAddress.Loopback, int.Parse(port, CultureInfo.InvariantCulture)));
                using (var link = new SocketLink(socket))
                {
                    Sink(link);
                }

                return 0;
            case ["futex", var name]:
                using (var words = SharedArray<int>.Open(name))
                {
                    FutexPong((int*)Unsafe.AsPointer(ref words[0]));
                }

                return 0;
            case ["shm", var name]:
                using (var region = SharedArray<byte>.Open(name))
                {
                    ShmSink((byte*)Unsafe.AsPointer(ref region[0]));
                }

                return 0;
            default:
                Console.Error.WriteLine($"gamut measure --peer: unknown mode '{string.Join(' ', args)}'");
                return 255;
        }
    }

    /// <summary>Starts a peer process in <paramref name="mode"/>; <paramref name="stdin"/>/<paramref name="stdout"/> become its 0 and 1.</summary>
    /// <returns>Its process id (reap it with <see cref="Spawn.Wait"/>).</returns>
    public static int StartProcess(IReadOnlyList<string> mode, int stdin = -1, int stdout = -1)
    {
        var self = Environment.ProcessPath ?? throw new InvalidOperationException("the path of gamut's own executable is unknown");
        List<string> args = ["measure", "--peer", .. mode];
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            // Run as `dotnet Gamut.Cli.dll`: the peer is the same assembly under the same host.
            args.Insert(0, Path.Combine(AppContext.BaseDirectory, "Gamut.Cli.dll"));
        }

        return Spawn.Start(self, args, Spawn.CurrentEnvironment(), stdin, stdout);
    }

    /// <summary>Answers each one-byte ping with one byte until told to stop; then reports the round trips.</summary>
    public static void PingPong(ILink link)
    {
        Span<byte> one = stackalloc byte[1];
        long count = 0;
        while (link.ReadExactly(one))
        {
            if (one[0] != 0)
            {
                Span<byte> answer = stackalloc byte[8];
                BinaryPrimitives.WriteInt64LittleEndian(answer, count);
                link.Write(answer);
                return;
            }

            count++;
            link.Write(one);
        }
    }

    /// <summary>Takes length-prefixed messages and acknowledges each; length 0 asks for the bytes taken.</summary>
    public static void Sink(ILink link)
    {
        var chunk = GC.AllocateUninitializedArray<byte>(ChunkBytes, pinned: true);
        Span<byte> header = stackalloc byte[4];
        ReadOnlySpan<byte> ack = [1];
        long total = 0;
        while (link.ReadExactly(header))
        {
            var length = BinaryPrimitives.ReadInt32LittleEndian(header);
            if (length == 0)
            {
                Span<byte> answer = stackalloc byte[8];
                BinaryPrimitives.WriteInt64LittleEndian(answer, total);
                link.Write(answer);
                return;
            }

            for (var left = length; left > 0; left -= Math.Min(left, ChunkBytes))
            {
                link.ReadExactly(chunk.AsSpan(0, Math.Min(left, ChunkBytes)));
            }

            total += length;
            link.Write(ack);
        }
    }

    /// <summary>Answers each odd turn with the next even one until the turn is -1; then stores the count in word 1.</summary>
    public static void FutexPong(int* words)
    {
        var seen = 0;
        long count = 0;
        while (true)
        {
            var turn = Futex.WaitWhile(words, seen);
            if (turn == -1)
            {
                *(long*)(words + 2) = count;
                Futex.Set(words + 1, 1);
                return;
            }

            count++;
            seen = turn + 1;
            Futex.Set(words, seen);
        }
    }

    /// <summary>Copies each message out of the shared region and acknowledges it; sequence -1 asks for the bytes taken.</summary>
    public static void ShmSink(byte* region)
    {
        var sequence = (int*)region;
        var acknowledged = (int*)(region + 4);
        var chunk = GC.AllocateUninitializedArray<byte>(ChunkBytes, pinned: true);
        var seen = 0;
        long total = 0;
        while (true)
        {
            var now = Futex.WaitWhile(sequence, seen);
            if (now == -1)
            {
                *(long*)(region + 16) = total;
                Futex.Set(acknowledged, -1);
                return;
            }

            var length = *(long*)(region + 8);
            var data = region + ShmHeader;
            if (*(int*)(region + 24) == 1)
            {
                // In place: the data is read where it lies (every 8-byte word summed), nothing copied.
                ulong sum = 0;
                for (long offset = 0; offset + 8 <= length; offset += 8)
                {
                    sum += *(ulong*)(data + offset);
                }

                *(ulong*)(region + 32) = sum;
            }
            else
            {
                fixed (byte* c = chunk)
                {
                    for (long offset = 0; offset < length; offset += ChunkBytes)
                    {
                        var n = Math.Min(length - offset, ChunkBytes);
                        Buffer.MemoryCopy(data + offset, c, ChunkBytes, n);
                    }
                }
            }

            total += length;
            seen = now;
            Futex.Set(acknowledged, now);
        }
    }
}
