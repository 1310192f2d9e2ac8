namespace Gamut.Executors;

/// <summary>How an executor stops.</summary>
public enum ShutdownMode
{
    /// <summary>Refuse new work; finish everything already accepted.</summary>
    Drain,

    /// <summary>Refuse new work; cancel what is queued and running.</summary>
    Immediate,
}
