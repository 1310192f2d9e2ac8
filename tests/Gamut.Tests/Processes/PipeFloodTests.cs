using Gamut.Processes;
using Xunit.Abstractions;

namespace Gamut.Tests.Processes;

/// <summary>SP-2: no deadlock at any output volume, exact bytes, and the output cap.</summary>
[Collection(ProcessHygieneCollection.Name)]
public sealed class PipeFloodTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Two_hundred_MB_interleaved_on_stdout_and_stderr_while_50_MB_go_to_stdin_arrive_exactly()
    {
        const long outBytes = 100 << 20, errBytes = 100 << 20, inBytes = 50 << 20;
        var report = Path.GetTempFileName();
        try
        {
            var stdout = new HashingStream();
            var stderr = new HashingStream();

            var result = await Kit.Run("flood", outBytes.ToString(), errBytes.ToString(), "65536", report)
                .WithStandardInput(InputSource.FromStream(new PatternStream(3, inBytes)))
                .WithStandardOutput(OutputTarget.ToStream(stdout))
                .WithStandardError(OutputTarget.ToStream(stderr))
                .RunAsync()
                .WaitAsync(Kit.Ceiling);

            Assert.Equal(0, result.ExitCode);
            Assert.Equal(outBytes, stdout.Count);
            Assert.Equal(errBytes, stderr.Count);
            Assert.Equal(Kit.PatternHash(1, outBytes), stdout.Hash());
            Assert.Equal(Kit.PatternHash(2, errBytes), stderr.Hash());
            Assert.Equal($"{inBytes} {Kit.PatternHash(3, inBytes)}\n", await File.ReadAllTextAsync(report));
        }
        finally
        {
            File.Delete(report);
        }
    }

    [Fact]
    public async Task Captured_floods_of_both_streams_are_complete()
    {
        const long each = 20 << 20;

        var result = await Kit.Run("interleave", each.ToString(), each.ToString(), "4096").RunAsync().WaitAsync(Kit.Ceiling);

        Assert.Equal(each, result.StandardOutputBytes.Length);
        Assert.Equal(each, result.StandardErrorBytes.Length);
        Assert.Equal(Kit.PatternHash(1, each), Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(result.StandardOutputBytes.Span)));
        Assert.Equal(Kit.PatternHash(2, each), Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(result.StandardErrorBytes.Span)));
    }

    [Fact]
    public async Task Two_GiB_against_a_1_MiB_cap_stops_the_child_with_a_typed_error_and_keeps_the_heap_small()
    {
        const long limit = 1 << 20;
        var marker = Kit.NewMarker();
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);

        var error = await Assert.ThrowsAsync<OutputLimitExceededException>(
            () => Kit.Run("out", (2L << 30).ToString()).Marked(marker).WithOutputLimit(limit).RunAsync().WaitAsync(Kit.Ceiling));

        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        output.WriteLine($"managed bytes allocated while capping a 2 GiB writer at 1 MiB: {allocated / 1e6:F1} MB");
        Assert.Equal(limit, error.Limit);
        Assert.Equal(OutputSource.StandardOutput, error.Output);
        Assert.Equal(limit, error.Result.StandardOutputBytes.Length);
        Assert.Equal(CommandStopReason.OutputLimit, error.Result.StopReason);
        Assert.NotNull(error.Result.Signal);
        Assert.Empty(Kit.ProcessesWithMarker(marker));
        Assert.True(allocated < limit + (32 << 20), $"{allocated} bytes allocated");
    }

    [Fact]
    public async Task An_output_limit_of_zero_fails_any_output_and_passes_none()
    {
        var silent = await Command.Create("true").WithOutputLimit(0).RunAsync();
        var error = await Assert.ThrowsAsync<OutputLimitExceededException>(() => Command.Create("echo", "x").WithOutputLimit(0).RunAsync());

        Assert.True(silent.IsSuccess);
        Assert.Equal(0, error.Result.StandardOutputBytes.Length);
    }

    /// <summary>A read-only stream of <c>count</c> pattern bytes, generated as read.</summary>
    private sealed class PatternStream(int stream, long count) : Stream
    {
        private long _position;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => count;

        public override long Position { get => _position; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int length) => Read(buffer.AsSpan(offset, length));

        public override int Read(Span<byte> buffer)
        {
            var n = (int)Math.Min(buffer.Length, count - _position);
            Gamut.TestKit.Pattern.Fill(buffer[..n], stream, _position);
            _position += n;
            return n;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(Read(buffer.Span));

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int length) => throw new NotSupportedException();
    }
}
