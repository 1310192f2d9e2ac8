namespace Gamut.Processes.Internal;

/// <summary>
/// Starts the stages of a pipeline left to right, each stage's stdout connected to the next one's stdin by
/// a pipe from child to child (the parent relays only where the fallback spawner cannot do that). If a stage
/// fails to start, the stages already started are killed (their whole groups), so none is orphaned.
/// </summary>
internal static class StageRunner
{
    public static ChildProcess[] StartStages(IReadOnlyList<Command> stages, bool forRun, CancellationToken cancellationToken)
    {
        var started = new List<ChildProcess>(stages.Count);
        ChildDescriptor? nextStdin = null;
        try
        {
            for (var i = 0; i < stages.Count; i++)
            {
                ChildStdio? stdin = null, stdout = null;
                ChildDescriptor? write = null, read = null;
                if (i > 0)
                {
                    stdin = nextStdin is null ? ChildStdio.Pipe : new ChildStdio(StdioKind.Descriptor, Descriptor: nextStdin);
                }
                else if (stages[0].StandardInput is InputSource.CommandInput)
                {
                    throw new InvalidOperationException("The first stage of a pipeline cannot read from another command");
                }

                if (i < stages.Count - 1)
                {
                    if (Spawner.TryCreateChildPipe(stages[i]) is { } pipe)
                    {
                        (read, write) = pipe;
                        stdout = new ChildStdio(StdioKind.Descriptor, Descriptor: write);
                    }
                    else
                    {
                        stdout = ChildStdio.Pipe;
                    }
                }

                ChildProcess child;
                try
                {
                    child = ChildProcess.Start(stages[i], new ChildProcess.StartOptions(forRun, stdin, stdout), cancellationToken);
                }
                catch
                {
                    read?.Dispose();
                    throw;
                }
                finally
                {
                    // The children hold their copies now; the parent must not keep a pipe end open.
                    write?.Dispose();
                    nextStdin?.Dispose();
                    nextStdin = null;
                }

                if (i > 0 && stdin is { Kind: StdioKind.Pipe })
                {
                    child.RelayFrom(started[i - 1]);
                }

                started.Add(child);
                nextStdin = read;
            }

            return [.. started];
        }
        catch
        {
            nextStdin?.Dispose();
            foreach (var child in started)
            {
                child.Kill();
            }

            throw;
        }
    }

    /// <summary>Starts a command whose stdin is another command's stdout (possibly a chain of them).</summary>
    public static ChildProcess StartChain(Command last, ChildProcess.StartOptions options, CancellationToken cancellationToken)
    {
        var chain = new List<Command> { last };
        while (chain[0].StandardInput is InputSource.CommandInput upstream)
        {
            chain.Insert(0, upstream.Upstream);
        }

        var stages = StartStages(chain, options.ForRun, cancellationToken);
        var result = stages[^1];
        result.AdoptUpstream(stages[..^1]);
        return result;
    }
}
