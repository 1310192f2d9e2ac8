using Gamut.Cli.Run.Options;

namespace Gamut.Cli.Run.Semaphore;

/// <summary>
/// A counting semaphore shared by every process of the user: a directory per name under
/// <c>~/.parallel/semaphores/</c> (GNU parallel's place) holding one file per slot, a slot held by the process
/// that holds an exclusive lock on its file (.NET takes <c>flock</c> for <see cref="FileShare.None"/>). A lock
/// dies with its process, so a killed holder never leaves the semaphore taken.
/// </summary>
internal static class SemaphoreSlots
{
    public static string Directory(string id)
    {
        var home = Environment.GetEnvironmentVariable("PARALLEL_HOME") is { Length: > 0 } ph
            ? ph
            : Path.Combine(Environment.GetEnvironmentVariable("HOME") ?? "/tmp", ".parallel");
        var safe = id.Replace('/', '_');
        return Path.Combine(home, "semaphores", "id-" + safe);
    }

    /// <summary>Takes one of <paramref name="slots"/> slots, waiting while all are held; the stream is the hold.</summary>
    public static FileStream Acquire(string directory, int slots, CancellationToken cancellationToken)
    {
        try
        {
            System.IO.Directory.CreateDirectory(directory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"cannot make the semaphore directory '{directory}': {e.Message}");
        }

        while (true)
        {
            for (var i = 1; i <= slots; i++)
            {
                if (TryLock(Path.Combine(directory, $"slot-{i}")) is { } held)
                {
                    return held;
                }
            }

            // flock has no wait-for-any-of-N: look again shortly.
            cancellationToken.WaitHandle.WaitOne(50);
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    /// <summary>Waits until no slot of the semaphore is held (<c>--wait</c>).</summary>
    public static void WaitForAll(string directory, CancellationToken cancellationToken)
    {
        if (!System.IO.Directory.Exists(directory))
        {
            return;
        }

        foreach (var file in System.IO.Directory.GetFiles(directory, "slot-*"))
        {
            while (true)
            {
                using var held = TryLock(file);
                if (held is not null)
                {
                    break;
                }

                cancellationToken.WaitHandle.WaitOne(50);
                cancellationToken.ThrowIfCancellationRequested();
            }
        }
    }

    private static FileStream? TryLock(string path)
    {
        try
        {
            return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException e)
        {
            throw new UsageException($"cannot use the semaphore file '{path}': {e.Message}");
        }
    }
}
