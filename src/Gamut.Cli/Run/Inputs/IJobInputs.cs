namespace Gamut.Cli.Run.Inputs;

/// <summary>The records for the scheduler to take, without ever blocking its loop.</summary>
internal interface IJobInputs : IDisposable
{
    /// <summary>Takes the next record if one is ready.</summary>
    bool TryTake(out InputRecord record);

    /// <summary>The number of records once every input has been read and taken; null before.</summary>
    long? Completed { get; }

    /// <summary>Completes when a record may be ready or the inputs have ended.</summary>
    Task WaitAsync();
}
