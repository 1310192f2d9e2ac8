using Gamut.Loop;
using Gamut.Processes;

namespace Gamut.Tests.Loop;

public sealed class LoopProcessTests
{
    [Fact]
    public async Task A_commands_output_lines_and_exit_arrive_as_events_on_the_loop_thread_exit_last()
    {
        await using var loop = new EventLoop();
        var protocol = new Recorder();

        var status = await loop.StartProcess(Command.Shell("echo out1; echo err1 >&2; echo out2; exit 3"), protocol).WaitAsync(EventLoopTests.HangGuard);

        Assert.Equal(3, status.ExitCode);
        Assert.Equal("started", protocol.Events[0].Text);
        Assert.Equal(["out1", "out2"], protocol.Events.Where(e => e.Kind == "out").Select(e => e.Text));
        Assert.Equal(["err1"], protocol.Events.Where(e => e.Kind == "err").Select(e => e.Text));
        Assert.Equal("exit 3", protocol.Events[^1].Text);
        Assert.All(protocol.Events, e => Assert.Equal(loop.ThreadId, e.Thread));
    }

    [Fact]
    public async Task A_command_that_cannot_start_fails_the_task_and_the_loop_goes_on()
    {
        await using var loop = new EventLoop();

        await Assert.ThrowsAnyAsync<Exception>(() => loop.StartProcess(Command.Create("/nonexistent/gamut-no-such-program"), new Recorder()).WaitAsync(EventLoopTests.HangGuard));

        Assert.Equal(1, await loop.SubmitAsync(() => 1));
    }

    private sealed class Recorder : ProcessProtocol
    {
        public List<(string Kind, string Text, int Thread)> Events { get; } = [];

        public override void OnStarted() => Add("start", "started");

        public override void OnOutput(string line) => Add("out", line);

        public override void OnErrorOutput(string line) => Add("err", line);

        public override void OnExited(ProcessExitStatus status) => Add("exit", $"exit {status.ExitCode}");

        private void Add(string kind, string text) => Events.Add((kind, text, Environment.CurrentManagedThreadId));
    }
}
