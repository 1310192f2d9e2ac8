using System.Diagnostics;
using System.Globalization;
using Gamut.Cli.Run.Execution;
using Spectre.Console;

namespace Gamut.Cli.Run.Progress;

/// <summary>
/// The live display on stderr (Spectre.Console): a bar with done/total, the jobs running and failed, the rate,
/// and the time left once the total is known. Counters are updated by the scheduler; a refresh loop of its own
/// draws them ten times a second, so the jobs never wait for the terminal.
/// </summary>
internal sealed class LiveProgress : IRunProgress
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly CancellationTokenSource _done = new();
    private readonly Task _loop;
    private readonly int _maxJobs;
    private long _total = -1;
    private long _started;
    private long _finished;
    private long _failed;

    public LiveProgress(int maxJobs)
    {
        _maxJobs = maxJobs;
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(Console.Error),
            Interactive = InteractionSupport.Yes,
        });
        _loop = console.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .StartAsync(RenderAsync);
    }

    public void SetTotal(long total) => Interlocked.Exchange(ref _total, total);

    public void OnStarted() => Interlocked.Increment(ref _started);

    public void OnFinished(bool failed)
    {
        Interlocked.Increment(ref _finished);
        if (failed)
        {
            Interlocked.Increment(ref _failed);
        }
    }

    public void Dispose()
    {
        _done.Cancel();
        try
        {
            _loop.GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            // The terminal went away; nothing to draw on.
        }
    }

    private async Task RenderAsync(ProgressContext context)
    {
        var task = context.AddTask("starting", autoStart: true, maxValue: 1);
        task.IsIndeterminate = true;
        while (true)
        {
            Update(task);
            context.Refresh();
            if (_done.IsCancellationRequested)
            {
                return;
            }

            try
            {
                await Task.Delay(100, _done.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    private void Update(ProgressTask task)
    {
        var c = CultureInfo.InvariantCulture;
        var total = Interlocked.Read(ref _total);
        var finished = Interlocked.Read(ref _finished);
        var running = Interlocked.Read(ref _started) - finished;
        var failed = Interlocked.Read(ref _failed);
        var seconds = Math.Max(0.001, _clock.Elapsed.TotalSeconds);
        var rate = finished / seconds;
        var of = total >= 0 ? "/" + total.ToString(c) : "";
        var failedText = failed > 0 ? $" [red]{failed.ToString(c)} failed[/]" : "";
        task.Description = $"{finished.ToString(c)}{of} done, {running.ToString(c)}/{_maxJobs.ToString(c)} running{failedText}, {rate.ToString("0.#", c)}/s";
        if (total > 0)
        {
            task.IsIndeterminate = false;
            task.MaxValue = total;
            task.Value = finished;
        }
    }
}
