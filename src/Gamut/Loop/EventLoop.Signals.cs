using System.Runtime.InteropServices;

namespace Gamut.Loop;

public sealed partial class EventLoop
{
    private readonly HashSet<IDisposable> _resources = [];

    /// <summary>
    /// Delivers <paramref name="signal"/> to <paramref name="handler"/> on the loop thread. While the handler is
    /// registered the signal's default action (ending the process, for SIGINT and SIGTERM) does not happen: the
    /// handler decides, e.g. by shutting the loop down. Several handlers of one signal all run.
    /// </summary>
    /// <param name="signal">SIGINT, SIGTERM, SIGHUP, SIGQUIT, ...</param>
    /// <param name="handler">Runs on the loop thread for each delivery.</param>
    /// <returns>The registration; dispose it to restore the default action.</returns>
    /// <exception cref="PlatformNotSupportedException">The platform cannot deliver that signal.</exception>
    public IDisposable OnSignal(PosixSignal signal, Action<PosixSignal> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        if (_stopped)
        {
            throw new Executors.ExecutorClosedException(Name);
        }

        // The runtime calls this on its signal thread; deciding the default action must happen there, at once.
        var registration = PosixSignalRegistration.Create(signal, context =>
        {
            context.Cancel = true;
            Enqueue(new LoopWork((Action<object?>)(static s => { var (h, sig) = ((Action<PosixSignal>, PosixSignal))s!; h(sig); }), (handler, context.Signal)), throwIfStopped: false);
        });
        var tracked = new SignalHandle(this, registration);
        lock (_resources)
        {
            _resources.Add(tracked);
        }

        return tracked;
    }

    private void CloseAll()
    {
        _timers.Clear();
        IDisposable[] resources;
        lock (_resources)
        {
            resources = [.. _resources];
            _resources.Clear();
        }

        foreach (var resource in resources)
        {
            try
            {
                resource.Dispose();
            }
            catch (Exception e)
            {
                LoopLog.HandlerFailed(Logger, e);
            }
        }
    }

    internal void Track(IDisposable resource)
    {
        lock (_resources)
        {
            _resources.Add(resource);
        }
    }

    internal void Untrack(IDisposable resource)
    {
        lock (_resources)
        {
            _resources.Remove(resource);
        }
    }

    private sealed class SignalHandle(EventLoop loop, PosixSignalRegistration registration) : IDisposable
    {
        public void Dispose()
        {
            registration.Dispose();
            loop.Untrack(this);
        }
    }
}
