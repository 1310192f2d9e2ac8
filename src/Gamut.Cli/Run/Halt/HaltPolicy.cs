using Gamut.Cli.Run.Options;

namespace Gamut.Cli.Run.Halt;

/// <summary>
/// Counts finished jobs and decides, as GNU parallel does, when <c>--halt</c> stops the run and what the exit
/// status is: the number of failed jobs capped at 101; with <c>fail=N%</c> the percentage that failed; with a
/// limit of 1 the exit status of the job that triggered the halt (128 + its signal when one ended it); 0 when a
/// <c>success</c> condition was met.
/// </summary>
internal sealed class HaltPolicy(HaltSpec spec, Func<long> totalJobs)
{
    private int? _haltExitStatus;
    private double? _limit = spec.Count;

    public long Failed { get; private set; }

    public long Completed { get; private set; }

    public long Started { get; private set; }

    /// <summary>Set once a halt condition was met.</summary>
    public HaltWhen Triggered { get; private set; } = HaltWhen.Never;

    public void OnStarted() => Started++;

    /// <summary>Records a finished job (after its last attempt) and returns whether to halt: never, soon or now.</summary>
    public HaltWhen OnFinished(int exitCode, int signal)
    {
        Completed++;
        var failed = exitCode != 0 || signal != 0;
        double? count = null;
        if (failed)
        {
            Failed++;
            if (spec.Why == HaltWhy.Fail)
            {
                count = Failed;
            }
        }
        else if (spec.Why == HaltWhy.Success)
        {
            count = Completed - Failed;
        }

        if (spec.Why == HaltWhy.Done)
        {
            count = Completed;
        }

        if (spec.IsNever || count is null)
        {
            return HaltWhen.Never;
        }

        if (spec.Percent is { } pct && _limit is null)
        {
            _limit = totalJobs() * pct / 100;
        }

        if (count < _limit)
        {
            return HaltWhen.Never;
        }

        if (spec.Why is HaltWhy.Fail or HaltWhy.Done)
        {
            if (_haltExitStatus is null)
            {
                if (spec.Percent is not null)
                {
                    _haltExitStatus = (int)Math.Ceiling(Failed / (double)Math.Max(1, totalJobs()) * 100);
                }
                else
                {
                    _haltExitStatus = (int)Math.Min(Failed, 101);
                }

                if (spec.Count == 1)
                {
                    _haltExitStatus = exitCode != 0 ? exitCode : signal != 0 ? signal + 128 : 0;
                }
            }
        }
        else
        {
            _haltExitStatus = 0;
        }

        if (Triggered == HaltWhen.Never || spec.When == HaltWhen.Now)
        {
            Triggered = spec.When;
        }

        return spec.When;
    }

    /// <summary>The exit status of the whole run.</summary>
    public int ExitStatus()
    {
        if (!spec.IsNever)
        {
            if (_haltExitStatus is { } s)
            {
                return s;
            }

            return spec.Percent is not null
                ? (int)Math.Ceiling(Failed / (double)Math.Max(1, Started) * 100)
                : (int)Math.Min(Failed, 101);
        }

        return (int)Math.Min(Failed, 101);
    }
}
