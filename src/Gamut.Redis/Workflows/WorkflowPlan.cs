using System.Globalization;
using Gamut.Executors;
using Gamut.Jobs;
using StackExchange.Redis;

namespace Gamut.Redis.Workflows;

/// <summary>
/// A workflow's tree as the fields of its hash (docs/redis-protocol.md section 11): nodes numbered 1… in depth-first
/// order, the root first; per node its kind <c>k:N</c>, parent <c>u:N</c> and place <c>o:N</c>, a composite's
/// children <c>nc:N</c> and <c>c:N:O</c>, a job's name <c>n:N</c>, own payload <c>p:N</c>, <c>m:N</c>, <c>to:N</c>, <c>rb:N</c>.
/// </summary>
internal sealed class WorkflowPlan
{
    private readonly List<RedisValue> _pairs = [];
    private readonly IJobSerializer _serializer;
    private readonly int _maxPayloadBytes;
    private bool? _settled;

    private WorkflowPlan(IJobSerializer serializer, int maxPayloadBytes)
    {
        _serializer = serializer;
        _maxPayloadBytes = maxPayloadBytes;
    }

    /// <summary>The field/value pairs, flat.</summary>
    public IReadOnlyList<RedisValue> Pairs => _pairs;

    public int Nodes { get; private set; }

    public int Jobs { get; private set; }

    /// <summary><c>continue</c> when the workflow's groups are settled, else <c>stop</c>.</summary>
    public string Policy => _settled == true ? "continue" : "stop";

    /// <exception cref="ArgumentException">Settled and plain groups are mixed.</exception>
    /// <exception cref="JobSerializationException">An input did not serialize, or is over the payload limit.</exception>
    public static WorkflowPlan Of(WorkflowNode root, IJobSerializer serializer, int maxPayloadBytes)
    {
        var plan = new WorkflowPlan(serializer, maxPayloadBytes);
        plan.Add(root, 0, 0);
        return plan;
    }

    private int Add(WorkflowNode node, int parent, int place)
    {
        var n = ++Nodes;
        var id = n.ToString(CultureInfo.InvariantCulture);
        if (parent > 0)
        {
            Pair("u:" + id, parent);
            Pair("o:" + id, place);
        }

        switch (node)
        {
            case JobNode job:
                Jobs++;
                Pair("k:" + id, "j");
                Pair("n:" + id, job.Name);
                if (job.Input is { } input)
                {
                    var payload = input(_serializer);
                    if (payload.Length > _maxPayloadBytes)
                    {
                        throw new JobSerializationException($"The input of workflow job '{job.Name}' is {payload.Length} bytes, over the limit of {_maxPayloadBytes} bytes");
                    }

                    Pair("p:" + id, payload);
                }

                AddOptions(id, job.Options);
                break;
            case ChainNode chain:
                Pair("k:" + id, "c");
                Children(id, n, chain.Steps);
                break;
            case GroupNode group:
                if (_settled is { } s && s != group.Settled)
                {
                    throw new ArgumentException("A workflow has one failure policy: do not mix Workflow.Group (a failure stops it) with Workflow.GroupSettled (it goes on past failures)");
                }

                _settled = group.Settled;
                Pair("k:" + id, "g");
                Children(id, n, group.Members);
                break;
        }

        return n;
    }

    private void Children(string id, int n, IReadOnlyList<WorkflowNode> children)
    {
        Pair("nc:" + id, children.Count);
        for (var o = 1; o <= children.Count; o++)
        {
            var child = Add(children[o - 1], n, o);
            Pair($"c:{id}:{o.ToString(CultureInfo.InvariantCulture)}", child);
        }
    }

    private void AddOptions(string id, JobOptions options)
    {
        if (options.Retry.MaxAttempts > 1)
        {
            Pair("m:" + id, options.Retry.MaxAttempts);
            if (options.Retry != RetryPolicy.Attempts(options.Retry.MaxAttempts))
            {
                Pair("rb:" + id, Backoff.Format(options.Retry));
            }
        }

        if (options.Timeout is { } t)
        {
            Pair("to:" + id, Math.Max(1, (long)t.TotalMilliseconds));
        }
    }

    private void Pair(string field, RedisValue value)
    {
        _pairs.Add(field);
        _pairs.Add(value);
    }
}
