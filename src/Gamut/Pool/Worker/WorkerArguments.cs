using System.Globalization;

namespace Gamut.Pool.Worker;

/// <summary>
/// What a worker is told on its command line: where to connect, who it is, where its slot is, and its parent's pid.
/// The secret that proves it is the worker the pool started travels in an environment variable instead, so it does
/// not show in <c>ps</c>.
/// </summary>
internal sealed record WorkerArguments(string SocketName, int WorkerId, string SlotPath, int ParentPid)
{
    public const string TokenVariable = "GAMUT_WORKER_TOKEN";
    public const string Marker = "--gamut-worker";

    public IReadOnlyList<string> ToArgs() =>
    [
        Marker,
        SocketName,
        WorkerId.ToString(CultureInfo.InvariantCulture),
        SlotPath,
        ParentPid.ToString(CultureInfo.InvariantCulture),
    ];

    public static WorkerArguments Parse(string[] args)
    {
        if (args.Length != 5 || args[0] != Marker)
        {
            throw new ArgumentException("The Gamut worker is started by the process pool, not by hand: it expects --gamut-worker <socket> <id> <slot> <parent pid>");
        }

        return new WorkerArguments(
            args[1],
            int.Parse(args[2], CultureInfo.InvariantCulture),
            args[3],
            int.Parse(args[4], CultureInfo.InvariantCulture));
    }
}
