using System.Text.Json;
using System.Text.Json.Serialization;
using Gamut.Jobs;
using Gamut.Pool;

namespace Gamut.Tests.Pool;

/// <summary>
/// A value whose (de)serialization misbehaves on one side of the process boundary, as its Mode says:
/// "throw-write-parent", "throw-read-worker", "crash-read-worker", "throw-write-worker", "crash-write-worker",
/// "throw-read-parent", or "ok".
/// </summary>
[JsonConverter(typeof(TrapConverter))]
public sealed record Trap(string Mode, string Padding = "");

public sealed class TrapConverter : JsonConverter<Trap>
{
    private static bool InWorker => Gamut.Pool.Worker.WorkerHost.IsWorkerProcess;

    public override Trap Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        using var doc = JsonDocument.ParseValue(ref reader);
        var mode = doc.RootElement.GetProperty("mode").GetString()!;
        var padding = doc.RootElement.TryGetProperty("padding", out var p) ? p.GetString() ?? "" : "";
        Spring(mode, "read");
        return new Trap(mode, padding);
    }

    public override void Write(Utf8JsonWriter writer, Trap value, JsonSerializerOptions options)
    {
        Spring(value.Mode, "write");
        writer.WriteStartObject();
        writer.WriteString("mode", value.Mode);
        writer.WriteString("padding", value.Padding);
        writer.WriteEndObject();
    }

    private static void Spring(string mode, string operation)
    {
        var side = InWorker ? "worker" : "parent";
        if (mode == $"throw-{operation}-{side}")
        {
            throw new JsonException($"trap: {operation} refused in the {side}");
        }

        if (mode == $"crash-{operation}-{side}")
        {
            Environment.FailFast($"trap: {operation} crashed the {side}");
        }
    }
}

/// <summary>Returns a trap with the mode it is given for its result.</summary>
[Job("pool.trap")]
public sealed class TrapJob : IJob<Trap, Trap>
{
    public ValueTask<Trap> RunAsync(Trap input, JobContext context) =>
        ValueTask.FromResult(new Trap(input.Padding.StartsWith("result:", StringComparison.Ordinal) ? input.Padding["result:".Length..] : "ok"));
}

[Job("pool.length")]
public sealed class LengthJob : IJob<string, int>
{
    public ValueTask<int> RunAsync(string input, JobContext context) => ValueTask.FromResult(input.Length);
}

[Job("pool.double")]
public sealed class DoubleJob : IJob<double, double>
{
    public ValueTask<double> RunAsync(double input, JobContext context) => ValueTask.FromResult(input * 2);
}

[Job("pool.stream")]
public sealed class StreamJob : IJob<int, Stream>
{
    public ValueTask<Stream> RunAsync(int input, JobContext context) => ValueTask.FromResult<Stream>(new MemoryStream());
}

public sealed class Node
{
    public Node? Next { get; set; }
}

[Job("pool.node")]
public sealed class NodeJob : IJob<Node, int>
{
    public ValueTask<int> RunAsync(Node input, JobContext context) => ValueTask.FromResult(1);
}

/// <summary>Allocates and keeps about 64 MiB (for memory recycling).</summary>
[Job("pool.hog")]
public sealed class HogJob : IJob<int, int>
{
    private static readonly List<byte[]> Kept = [];

    public ValueTask<int> RunAsync(int input, JobContext context)
    {
        var block = new byte[64 * 1024 * 1024];
        Array.Fill(block, (byte)1);
        Kept.Add(block);
        return ValueTask.FromResult(Environment.ProcessId);
    }
}

/// <summary>In a worker, starts a pool of its own (kept alive) and returns its workers' pids: a pool whose parent can be killed.</summary>
[Job("pool.nested-host")]
public sealed class NestedPoolHostJob : IJob<int, int[]>
{
    private static Gamut.Pool.ProcessPool? s_pool;

    public async ValueTask<int[]> RunAsync(int input, JobContext context)
    {
        s_pool = Gamut.Executors.Executors.Processes(new JobRegistry().AddAssembly(typeof(SquareJob).Assembly), input);
        for (var i = 0; i < 40; i++)
        {
            await s_pool.SubmitAsync(JobRef.To<SquareJob, int, int>(), i);
        }

        while (s_pool.ReadyWorkers < input)
        {
            await Task.Delay(10);
        }

        return [.. s_pool.WorkerPids];
    }
}
