using System.Text;
using Gamut.Processes;

namespace Gamut.Tests.Processes;

public sealed class StreamingTests
{
    [Fact]
    public async Task A_started_command_streams_its_stdout_lines_while_it_runs()
    {
        await using var child = Kit.Run("out-lines", "2", "sleep", "60").Start();
        var lines = new List<string>();
        await foreach (var line in child.ReadOutputLinesAsync().WithCancellation(default))
        {
            lines.Add(line);
            if (lines.Count == 2)
            {
                break;
            }
        }

        Assert.Equal(["line 0", "line 1"], lines);
        Assert.False(child.HasExited);
        var result = await child.StopAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(CommandStopReason.Requested, result.StopReason);
        Assert.True(result.ExitStatus.Canceled);
    }

    [Fact]
    public async Task Leaving_a_line_loop_early_discards_the_rest_and_does_not_hold_the_child_back()
    {
        await using var child = Kit.Run("out-lines", "200000").Start();
        await foreach (var line in child.ReadOutputLinesAsync())
        {
            Assert.Equal("line 0", line);
            break;
        }

        var result = await child.WaitForExitAsync().WaitAsync(Kit.Ceiling);

        Assert.Equal(0, result.ExitCode);
    }

    [Fact]
    public async Task A_line_stream_never_read_does_not_keep_disposal_waiting()
    {
        var child = Kit.Run("out-lines", "200000", "err-lines", "200000").Start();
        _ = child.ReadLinesAsync();

        await child.DisposeAsync().AsTask().WaitAsync(Kit.Ceiling);

        Assert.True(child.HasExited);
    }

    [Fact]
    public async Task Writing_to_a_piped_stdin_reaches_the_child_and_closing_it_ends_the_input()
    {
        await using var child = Kit.Run("cat").WithStandardInput(InputSource.Pipe).Start();
        var writer = new StreamWriter(child.StandardInput) { NewLine = "\n" };
        await writer.WriteLineAsync("first");
        await writer.FlushAsync();
        await using var lines = child.ReadOutputLinesAsync().GetAsyncEnumerator();
        Assert.True(await lines.MoveNextAsync());
        Assert.Equal("first", lines.Current);
        await writer.WriteLineAsync("second");
        await writer.DisposeAsync();
        Assert.True(await lines.MoveNextAsync());
        Assert.Equal("second", lines.Current);
        Assert.False(await lines.MoveNextAsync());
        var result = await child.WaitForExitAsync().WaitAsync(Kit.Ceiling);
        Assert.Equal(0, result.ExitCode);
    }

    [Fact]
    public async Task The_merged_line_stream_tags_each_line_with_its_source()
    {
        await using var child = Command.Shell("echo out1; echo err1 >&2; echo out2").Start();
        var lines = new List<ProcessOutputLine>();
        await foreach (var line in child.ReadLinesAsync())
        {
            lines.Add(line);
        }

        Assert.Equal(
            [new("out1", false), new("out2", false), new("err1", true)],
            lines.OrderBy(l => l.Source).ThenBy(l => l.Content, StringComparer.Ordinal));
        Assert.Equal(["out1", "out2"], lines.Where(l => l.Source == OutputSource.StandardOutput).Select(l => l.Content));
        await child.WaitForExitAsync();
    }

    [Fact]
    public async Task Raw_output_streams_carry_the_bytes_and_what_is_not_taken_is_captured()
    {
        await using var child = Kit.Run("out", "300000", "err-lines", "2").Start();
        var stdout = new MemoryStream();
        await child.StandardOutput.CopyToAsync(stdout);
        var result = await child.WaitForExitAsync().WaitAsync(Kit.Ceiling);

        Assert.Equal(300_000, stdout.Length);
        Assert.Equal(Kit.PatternHash(1, 300_000), Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(stdout.ToArray())));
        Assert.Equal(0, result.StandardOutputBytes.Length);
        Assert.Equal("line 0\nline 1\n", result.StandardError);
    }

    [Fact]
    public async Task A_stream_can_be_taken_only_once()
    {
        await using var child = Kit.Run("out-lines", "1").Start();
        _ = child.StandardOutput;

        Assert.Throws<InvalidOperationException>(() => child.ReadOutputLinesAsync());
        Assert.Throws<InvalidOperationException>(() => child.StandardInput);
        await child.WaitForExitAsync();
    }

    [Fact]
    public async Task Any_posix_signal_can_be_sent_and_its_effect_is_reported()
    {
        await using var child = Kit.Run("ready", "sleep", "60").WithThrowOnNonZeroExit(false).Start();
        await using var lines = child.ReadOutputLinesAsync().GetAsyncEnumerator();
        Assert.True(await lines.MoveNextAsync());

        Assert.True(child.SendSignal(Signals.User2));
        var result = await child.WaitForExitAsync().WaitAsync(Kit.Ceiling);

        Assert.Equal(Signals.User2, result.Signal);
        Assert.Equal(CommandStopReason.None, result.StopReason);
    }

    [Fact]
    public async Task Signalling_an_exited_process_returns_false_every_time_without_an_exception()
    {
        await using var child = Kit.Run("exit", "0").Start();
        await child.WaitForExitAsync();

        for (var i = 0; i < 1000; i++)
        {
            Assert.False(child.SendSignal(Signals.Terminate));
            Assert.False(child.SendSignalToGroup(Signals.Kill));
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(65)]
    [InlineData(int.MaxValue)]
    public async Task A_signal_number_out_of_range_is_refused(int signal)
    {
        await using var child = Kit.Run("exit", "0").Start();

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => child.SendSignal(signal));
        Assert.Contains("signal number", error.Message);
        await child.WaitForExitAsync();
    }

    [Fact]
    public async Task A_child_that_closes_stdin_early_makes_our_write_a_typed_error_not_a_crash()
    {
        await using var child = Kit.Run("close-stdin", "ready", "sleep", "60").WithStandardInput(InputSource.Pipe).Start();
        await using var lines = child.ReadOutputLinesAsync().GetAsyncEnumerator();
        Assert.True(await lines.MoveNextAsync());

        var error = await Assert.ThrowsAsync<StandardInputClosedException>(() => child.StandardInput.WriteAsync(new byte[100]).AsTask());
        Assert.Equal(child.Id, error.ProcessId);
        await child.StopAsync(TimeSpan.Zero);
    }

    [Fact]
    public async Task Feeding_stdin_stops_quietly_when_the_child_stops_reading()
    {
        var input = new byte[8 << 20];
        var result = await Command.Create("head", "-c", "10").WithStandardInput(InputSource.FromBytes(input)).RunAsync();

        Assert.Equal(10, result.StandardOutputBytes.Length);
    }

    [Fact]
    public async Task A_stdin_stream_that_throws_stops_the_command_with_a_typed_error()
    {
        var error = await Assert.ThrowsAsync<CommandInputException>(
            () => Kit.Run("cat").WithStandardInput(InputSource.FromStream(new ThrowingStream())).RunAsync());

        Assert.IsType<InvalidDataException>(error.InnerException);
        Assert.Equal(CommandStopReason.InputFailed, error.Result.StopReason);
    }

    [Fact]
    public async Task A_closed_stdin_stream_is_a_typed_error_too()
    {
        var closed = new MemoryStream(Encoding.UTF8.GetBytes("x"));
        var source = InputSource.FromStream(closed);
        closed.Dispose();

        var error = await Assert.ThrowsAsync<CommandInputException>(() => Kit.Run("cat").WithStandardInput(source).RunAsync());
        Assert.IsType<ObjectDisposedException>(error.InnerException);
    }

    [Fact]
    public async Task Disposing_a_running_command_stops_it()
    {
        var child = Kit.Run("sleep", "60").Start();
        var pid = child.Id;

        await child.DisposeAsync();

        Assert.True(child.HasExited);
        Assert.Null(Kit.State(pid));
    }

    private sealed class ThrowingStream : Stream
    {
        private int _reads;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (_reads++ > 2)
            {
                throw new InvalidDataException("the source broke");
            }

            buffer.AsSpan(offset, count).Fill((byte)'x');
            return count;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
