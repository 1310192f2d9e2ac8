using System.Runtime.InteropServices;
using Gamut.Cli.Run.Execution;

namespace Gamut.Cli.Run.Signals;

/// <summary>
/// Ctrl-C and SIGTERM to gamut: the first stops the run gracefully (no new jobs; SIGTERM to each running job's
/// process group, SIGKILL after the grace period; the joblog keeps every finished job); the second kills every
/// job's process group at once. SIGPIPE is left to the runtime, which ignores it, so a closed stdout shows up
/// as a write error the output layer turns into a clean stop.
/// </summary>
internal sealed class StopSignals : IDisposable
{
    private readonly PosixSignalRegistration[] _registrations;
    private int _count;

    public StopSignals(JobScheduler scheduler)
    {
        void Handle(PosixSignalContext context)
        {
            context.Cancel = true;
            var signal = context.Signal == PosixSignal.SIGINT ? 2 : 15;
            if (Interlocked.Increment(ref _count) == 1)
            {
                scheduler.RequestStop(StopReason.Signal, signal);
            }
            else
            {
                scheduler.RequestStop(StopReason.HardStop, signal);
            }
        }

        _registrations =
        [
            PosixSignalRegistration.Create(PosixSignal.SIGINT, Handle),
            PosixSignalRegistration.Create(PosixSignal.SIGTERM, Handle),
        ];
    }

    public void Dispose()
    {
        foreach (var r in _registrations)
        {
            r.Dispose();
        }
    }
}
