using System.Runtime.InteropServices;

namespace Gamut.Redis.Worker;

/// <summary>
/// A test-only hook: <c>GAMUT_TEST_CRASHPOINT=name[:n]</c> makes the worker process end with <c>_exit(137)</c>
/// (no cleanup, like SIGKILL) the n-th time (default: the first) it reaches the named point: <c>after-take</c>
/// (job in the in-flight list, marked running, not run), <c>after-run</c> (job ran, outcome not recorded),
/// <c>after-complete</c> (outcome recorded and published). Before it exits, the worker lets the outcomes of its
/// earlier jobs reach Redis, so each crash affects exactly the job at the named point.
/// </summary>
internal static partial class CrashPoints
{
    private static readonly string? Point;
    private static readonly long At = 1;
    private static long _hits;

    /// <summary>Set once the crash point is reached: the worker takes no more jobs while it lets earlier outcomes land.</summary>
    public static volatile bool Pending;

    static CrashPoints()
    {
        var value = Environment.GetEnvironmentVariable("GAMUT_TEST_CRASHPOINT");
        if (string.IsNullOrEmpty(value))
        {
            return;
        }

        var colon = value.IndexOf(':');
        Point = colon < 0 ? value : value[..colon];
        if (colon >= 0 && long.TryParse(value[(colon + 1)..], out var n) && n > 0)
        {
            At = n;
        }
    }

    public static void Hit(string point, Func<bool>? othersRecorded = null)
    {
        if (Point is null || point != Point)
        {
            return;
        }

        if (Interlocked.Increment(ref _hits) == At)
        {
            Pending = true;
            for (var i = 0; i < 500 && othersRecorded is not null && !othersRecorded(); i++)
            {
                Thread.Sleep(10);
            }

            Console.Error.WriteLine($"gamut: GAMUT_TEST_CRASHPOINT {point} reached; exiting with 137");
            Console.Error.Flush();
            Exit(137);
        }
    }

    [LibraryImport("libc", EntryPoint = "_exit")]
    private static partial void Exit(int status);
}
