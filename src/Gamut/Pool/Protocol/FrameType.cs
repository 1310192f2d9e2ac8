namespace Gamut.Pool.Protocol;

/// <summary>
/// The frames between the pool and a worker. Every frame is <c>u32 length | u8 type | body</c>, little-endian,
/// where length counts the type byte and the body. See docs/pool.md for each body's layout.
/// </summary>
internal enum FrameType : byte
{
    // Parent to worker.
    Init = 1,
    DefineJob = 2,
    Jobs = 3,
    Cancel = 4,
    Stop = 5,

    // Worker to parent.
    Hello = 64,
    Ready = 65,
    InitFailed = 66,
    Results = 67,
    Log = 68,
}

/// <summary>How one job (or one item of a chunk) ended in the worker.</summary>
internal enum ResultKind : byte
{
    Ok = 0,
    Error = 1,
    Chunk = 2,
}

/// <summary>Why a job did not give a result.</summary>
internal enum ErrorCode : byte
{
    /// <summary>The job threw.</summary>
    Failed = 1,

    /// <summary>The input did not deserialize or the result did not serialize (or was over the size limit).</summary>
    Serialization = 2,

    /// <summary>The job could not be loaded in the worker (type missing, assembly differs, no parameterless constructor).</summary>
    Registration = 3,

    /// <summary>The worker was asked to run a job it was never told about (a protocol error).</summary>
    UnknownJob = 4,

    /// <summary>The job was cancelled before or while it ran.</summary>
    Cancelled = 5,
}

/// <summary>Flags of one job in a <see cref="FrameType.Jobs"/> frame.</summary>
[Flags]
internal enum JobFlags : byte
{
    None = 0,

    /// <summary>The payload is an array of inputs (a map chunk); the result is an array of outputs.</summary>
    Chunk = 1,
}
