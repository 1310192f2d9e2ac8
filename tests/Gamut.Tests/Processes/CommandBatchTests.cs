using System.Diagnostics;
using Gamut.Processes;

namespace Gamut.Tests.Processes;

public sealed class CommandBatchTests
{
    [Fact]
    public async Task Hundreds_of_commands_run_with_a_concurrency_limit_and_every_result_comes_back()
    {
        var commands = Enumerable.Range(0, 300).Select(i => Command.Create("echo", i.ToString(System.Globalization.CultureInfo.InvariantCulture)));

        var completions = await CommandBatch.RunAsync(commands, new CommandBatchOptions { MaxConcurrency = 16 }).ToListAsync();

        Assert.Equal(300, completions.Count);
        Assert.All(completions, c => Assert.True(c.IsSuccess));
        Assert.All(completions, c => Assert.Equal($"{c.Index}\n", c.Result!.StandardOutput));
        Assert.Equal(Enumerable.Range(0, 300), completions.Select(c => c.Index).Order());
    }

    [Fact]
    public async Task Results_come_as_they_complete_or_in_submission_order()
    {
        // The first command is the slowest, so "as completed" cannot start with it; "ordered" must.
        string[] delays = ["0.6", "0", "0.1", "0", "0.2", "0"];
        var commands = delays.Select(d => Command.Create("sleep", d)).ToList();

        var asCompleted = await CommandBatch.RunAsync(commands, new CommandBatchOptions { MaxConcurrency = 6 }).Select(c => c.Index).ToListAsync();
        var ordered = await CommandBatch.RunAsync(commands, new CommandBatchOptions { MaxConcurrency = 6, Ordered = true }).Select(c => c.Index).ToListAsync();

        Assert.NotEqual(0, asCompleted[0]);
        Assert.Equal([0, 1, 2, 3, 4, 5], ordered);
    }

    [Fact]
    public async Task A_failing_command_is_a_completion_with_its_typed_error_and_the_batch_goes_on()
    {
        Command[] commands = [Command.Create("true"), Command.Create("false"), Command.Create("gamut-no-such-program"), Command.Create("echo", "ok")];

        var completions = await CommandBatch.RunAsync(commands, new CommandBatchOptions { MaxConcurrency = 2, Ordered = true }).ToListAsync();

        Assert.True(completions[0].IsSuccess);
        Assert.Equal(1, Assert.IsType<CommandExitException>(completions[1].Error).ExitCode);
        Assert.Equal(1, completions[1].Result!.ExitCode);
        Assert.IsType<CommandNotFoundException>(completions[2].Error);
        Assert.Null(completions[2].Result);
        Assert.Equal("ok\n", completions[3].GetResult().StandardOutput);
    }

    [Fact]
    public async Task An_input_that_fails_ends_the_batch_with_its_error_after_the_running_commands_end()
    {
        var marker = Kit.NewMarker();
        IEnumerable<Command> Commands()
        {
            yield return Command.Create("sleep", "0.2").Marked(marker);
            throw new InvalidDataException("the input broke");
        }

        var error = await Assert.ThrowsAsync<InvalidDataException>(async () => await CommandBatch.RunAsync(Commands(), new CommandBatchOptions { MaxConcurrency = 4 }).ToListAsync());

        Assert.Equal("the input broke", error.Message);
        Assert.Empty(Kit.ProcessesWithMarker(marker));
    }

    [Fact]
    public async Task Cancelling_a_batch_stops_every_running_command()
    {
        var marker = Kit.NewMarker();
        var commands = Enumerable.Range(0, 20).Select(_ => Command.Create("sleep", "300").Marked(marker).WithGracePeriod(TimeSpan.FromSeconds(5)));
        using var cancel = new CancellationTokenSource();

        var run = Task.Run(async () =>
        {
            await foreach (var completion in CommandBatch.RunAsync(commands, new CommandBatchOptions { MaxConcurrency = 8 }, cancel.Token))
            {
            }
        });
        await WaitForMarkerCountAsync(marker, 8);
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.WaitAsync(Kit.Ceiling));
        Assert.Empty(Kit.ProcessesWithMarker(marker));
    }

    [Fact]
    public async Task Leaving_the_enumeration_early_stops_the_commands_still_running()
    {
        var marker = Kit.NewMarker();
        Command[] commands = [Command.Create("true"), .. Enumerable.Range(0, 10).Select(_ => Command.Create("sleep", "300").Marked(marker))];

        await foreach (var completion in CommandBatch.RunAsync(commands, new CommandBatchOptions { MaxConcurrency = 11 }))
        {
            Assert.Equal(0, completion.Index);
            break;
        }

        Assert.Empty(Kit.ProcessesWithMarker(marker));
    }

    [Fact]
    public async Task A_thousand_commands_in_flight_need_no_thread_per_stream()
    {
        var commands = Enumerable.Range(0, 1000).Select(i => Command.Shell("echo $1; exec sleep 1", i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        var peakThreads = 0;
        var completed = 0;

        await foreach (var completion in CommandBatch.RunAsync(commands, new CommandBatchOptions { MaxConcurrency = 1000 }).WithCancellation(default))
        {
            Assert.True(completion.IsSuccess, completion.Error?.Message);
            Assert.Equal($"{completion.Index}\n", completion.Result!.StandardOutput);
            peakThreads = Math.Max(peakThreads, Process.GetCurrentProcess().Threads.Count);
            completed++;
        }

        Assert.Equal(1000, completed);

        // Two pipes each: a thread-per-stream design would need 2,000 blocked threads here.
        Assert.True(peakThreads < 200, $"{peakThreads} threads");
    }

    private static async Task WaitForMarkerCountAsync(string marker, int count)
    {
        var until = DateTime.UtcNow + Kit.Ceiling;
        while (Kit.ProcessesWithMarker(marker).Count < count && DateTime.UtcNow < until)
        {
            await Task.Delay(20);
        }
    }
}
