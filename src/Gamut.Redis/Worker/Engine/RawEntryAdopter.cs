using Gamut.Jobs;
using Gamut.Redis.Connection;
using Gamut.Redis.Scripts;
using StackExchange.Redis;

namespace Gamut.Redis.Worker.Engine;

/// <summary>
/// Turns a raw envelope another client pushed onto a queue (docs/redis.md, "Enqueueing from other languages") into a
/// job record, in our in-flight list in place of the raw entry; or dead-letters it with the reason (not JSON, a
/// missing field, a format this worker does not read, an id that exists already).
/// </summary>
internal sealed class RawEntryAdopter(RedisConnection connection, string workerId, IJobSerializer serializer, WorkerTally tally)
{
    /// <summary>Adopts the job's raw entry; true when it became a job (the job is rewritten to it), false when dead-lettered.</summary>
    public async Task<bool> AdoptAsync(TakenJob job)
    {
        var q = job.Queue;
        var o = connection.Options;
        var raw = job.Raw!;
        JobEnvelope envelope;
        try
        {
            envelope = JobEnvelopeCodec.Read(raw, o.MaxPayloadBytes);
            if (envelope.Format != serializer.Format)
            {
                throw new EnvelopeException(EnvelopeError.InvalidField, $"the payload format '{Outcomes.Clip(envelope.Format)}' is not this worker's '{serializer.Format}'");
            }
        }
        catch (EnvelopeException e)
        {
            var reason = e.Reason switch
            {
                EnvelopeError.NotJson => "not-json",
                EnvelopeError.NotAnObject => "wrong-shape",
                EnvelopeError.MissingField => "missing-field",
                EnvelopeError.UnsupportedVersion => "unsupported-version",
                EnvelopeError.TooLarge => "too-large",
                _ => "invalid-field",
            };
            var entry = DeadLetterEntry.Create(q.Queue, null, null, reason, e.Message, rawEntry: raw);
            var removed = (long)await connection.Database.ScriptEvaluateAsync(LuaScripts.RawDead, [q.Active(workerId), q.Dead, q.Stats], [raw, entry, o.DeadLetterMax]).ConfigureAwait(false);
            if (removed == 1)
            {
                tally.DeadLettered();
            }

            return false;
        }

        var duplicate = DeadLetterEntry.Create(q.Queue, envelope.Id, envelope.Name, "duplicate-id", $"a job with the id {envelope.Id} already exists; the raw entry was not run", rawEntry: raw);
        var verdict = (string?)await connection.Database.ScriptEvaluateAsync(
            LuaScripts.Adopt,
            [q.Active(workerId), q.Stats, q.Dead, q.Job(envelope.Id)],
            [raw, workerId, envelope.Id, envelope.Name, envelope.Payload, envelope.MaxAttempts, envelope.Timeout is { } t ? (long)t.TotalMilliseconds : "", envelope.CreatedAt.ToUnixTimeMilliseconds(), duplicate, o.DeadLetterMax]).ConfigureAwait(false);
        if (verdict != "ok")
        {
            if (verdict == "duplicate-id")
            {
                tally.DeadLettered();
            }

            return false;
        }

        job.Id = envelope.Id;
        job.Fence = 1;
        job.Name = envelope.Name;
        job.Payload = envelope.Payload;
        job.MaxAttempts = envelope.MaxAttempts;
        job.Timeout = envelope.Timeout;
        job.Raw = null;
        return true;
    }
}
