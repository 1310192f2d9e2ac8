namespace Gamut.Redis;

/// <summary>What a cancel did.</summary>
public enum CancelOutcome
{
    /// <summary>The job was queued or delayed and is now cancelled.</summary>
    Cancelled,

    /// <summary>The job is running; its worker was told to cancel it.</summary>
    Cancelling,

    /// <summary>The job had already ended.</summary>
    AlreadyFinished,

    /// <summary>The job has no record.</summary>
    Missing,
}
