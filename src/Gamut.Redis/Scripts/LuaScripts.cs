namespace Gamut.Redis.Scripts;

/// <summary>
/// The Lua scripts of every multi-key state change (docs/redis-protocol.md gives their contracts). Each is the
/// shared prelude followed by its body; StackExchange.Redis sends them by SHA1 once loaded.
/// </summary>
internal static class LuaScripts
{
    public static readonly string Enqueue = Load("enqueue");
    public static readonly string Take = Load("take");
    public static readonly string Complete = Load("complete");
    public static readonly string Adopt = Load("adopt");
    public static readonly string RawDead = Load("rawdead");
    public static readonly string Scan = Load("scan");
    public static readonly string Reap = Load("reap");
    public static readonly string Heartbeat = Load("heartbeat");
    public static readonly string Deregister = Load("deregister");
    public static readonly string Cancel = Load("cancel");
    public static readonly string Watch = Load("watch");
    public static readonly string Progress = Load("progress");
    public static readonly string Reclaim = Load("reclaim");
    public static readonly string LockAcquire = Load("lock-acquire");
    public static readonly string LockRenew = Load("lock-renew");
    public static readonly string LockRelease = Load("lock-release");
    public static readonly string QueuePush = Load("queue-push");
    public static readonly string QueuePop = Load("queue-pop");
    public static readonly string RingSet = Load("ring-set");
    public static readonly string PendingAdd = Load("pending-add");
    public static readonly string PendingEnd = Load("pending-end");
    public static readonly string AdminRetry = Load("admin-retry");
    public static readonly string AdminDelete = Load("admin-delete");
    public static readonly string AdminPause = Load("admin-pause");
    public static readonly string ScheduleAdd = Load("schedule-add");
    public static readonly string ScheduleFire = Load("schedule-fire");
    public static readonly string ScheduleRemove = Load("schedule-remove");
    public static readonly string SchedulePause = Load("schedule-pause");
    public static readonly string WorkflowStart = Load("workflow-start");
    public static readonly string WorkflowCancel = Load("workflow-cancel");

    private static string Read(string name)
    {
        using var stream = typeof(LuaScripts).Assembly.GetManifestResourceStream($"Gamut.Redis.Scripts.{name}.lua")
            ?? throw new InvalidOperationException($"The script {name}.lua is not embedded");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    private static string Load(string name) => Read("prelude") + "\n" + Read(name);
}
