namespace Gamut.Redis;

/// <summary>What an operator's action on a job did.</summary>
public enum AdminOutcome
{
    /// <summary>Done: the job was retried, cancelled, or deleted.</summary>
    Done,

    /// <summary>A running job was asked to stop: its worker cancels it (a command's process is stopped).</summary>
    Cancelling,

    /// <summary>The job has no record (it never existed, expired, or was deleted).</summary>
    Missing,

    /// <summary>Nothing changed: the job is not in a state the action applies to (see the job's state).</summary>
    NotApplicable,
}
