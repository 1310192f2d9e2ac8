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
    /// <summary>A result, serialized.</summary>
    Ok = 0,

    /// <summary>An error code and a <c>JobError</c>.</summary>
    Error = 1,

    /// <summary>Results of a range of a chunk's items (see <see cref="ChunkResultFlags"/>) and their per-item errors.</summary>
    Chunk = 2,

    /// <summary>A result as raw bytes (see <see cref="RawValues{T}"/>).</summary>
    OkRaw = 3,
}

/// <summary>Flags of a <see cref="ResultKind.Chunk"/> entry.</summary>
[Flags]
internal enum ChunkResultFlags : byte
{
    None = 0,

    /// <summary>The chunk is done: no more entries for it follow.</summary>
    Final = 1,

    /// <summary>The results are raw bytes (see <see cref="RawValues{T}"/>), not a serialized array.</summary>
    Raw = 2,
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

    /// <summary>The payload is raw bytes (see <see cref="RawValues{T}"/>), not serialized.</summary>
    RawInput = 2,

    /// <summary>The job has a timeout: the worker records when each item starts (otherwise it saves the clock reads).</summary>
    Timed = 4,

    /// <summary>The result must be serialized, never raw (the caller keeps it as bytes in the serializer's format).</summary>
    SerializedResult = 8,

    /// <summary>A W3C <c>traceparent</c> and <c>tracestate</c> (strings) follow the id (and a chunk's count).</summary>
    Traced = 16,
}
