namespace Gamut.Processes.Linux;

/// <summary>
/// Switches that let tests reach paths this machine does not take by itself: a failure after a child was
/// spawned, and the process-group signalling of kernels before 6.9 (no <c>PIDFD_SIGNAL_PROCESS_GROUP</c>).
/// Set through <see cref="Current"/>, which flows with the caller's async context, so one test's switch never
/// reaches another test's children. Read once per spawn; null (the default) costs nothing.
/// </summary>
internal sealed class SpawnProbe
{
    private static readonly AsyncLocal<SpawnProbe?> s_current = new();

    /// <summary>The probe for spawns made from the current async context.</summary>
    public static SpawnProbe? Current
    {
        get => s_current.Value;
        set => s_current.Value = value;
    }

    /// <summary>Called with the child's pid while it is being adopted (after its pidfd and stdin/stdout are registered); throw to inject a failure.</summary>
    public Action<int>? WhileAdopting { get; init; }

    /// <summary>Use <c>kill(-pgid)</c> for group signals, as on kernels before 6.9.</summary>
    public bool LegacyGroupSignals { get; init; }

    /// <summary>Called with (group, signal, delivered) for every <c>kill(-pgid)</c> made on the legacy path.</summary>
    public Action<int, int, bool>? OnGroupKill { get; init; }
}
