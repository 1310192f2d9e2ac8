using System.Globalization;
using System.Security.Cryptography;
using Gamut.Processes;

namespace Gamut.Tests.Processes;

/// <summary>The test kit child program and what tests need to check on real processes (/proc scans).</summary>
internal static class Kit
{
    public const string MarkerVariable = "GAMUT_TEST_MARKER";

    /// <summary>The testkit apphost, copied next to the tests.</summary>
    public static string Executable { get; } = Path.Combine(AppContext.BaseDirectory, "testkit");

    /// <summary>A testkit command.</summary>
    public static Command Run(params string[] verbs) => Command.Create(Executable, verbs);

    /// <summary>A fresh marker for one test's processes.</summary>
    public static string NewMarker() => "gamut-test-" + Guid.NewGuid().ToString("N");

    /// <summary>Tags the command (and everything it starts) with <paramref name="marker"/> in the environment.</summary>
    public static Command Marked(this Command command, string marker) => command.WithEnvironment(MarkerVariable, marker);

    /// <summary>Live processes whose initial environment holds the marker.</summary>
    public static List<int> ProcessesWithMarker(string marker)
    {
        var needle = System.Text.Encoding.UTF8.GetBytes($"{MarkerVariable}={marker}\0");
        var result = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            try
            {
                var environ = File.ReadAllBytes(Path.Combine(dir, "environ"));
                if (environ.AsSpan().IndexOf(needle) >= 0 && State(pid) is not ('Z' or 'X' or null))
                {
                    result.Add(pid);
                }
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }

        return result;
    }

    /// <summary>Polls until no process carries the marker, up to a generous ceiling (a hang guard, not a timing assertion).</summary>
    public static async Task<List<int>> SurvivorsAfterAsync(string marker, TimeSpan ceiling)
    {
        var until = DateTime.UtcNow + ceiling;
        while (true)
        {
            var left = ProcessesWithMarker(marker);
            if (left.Count == 0 || DateTime.UtcNow > until)
            {
                return left;
            }

            await Task.Delay(50);
        }
    }

    /// <summary>The state letter of a process ('R', 'S', 'Z', …), or null when it is gone.</summary>
    public static char? State(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..][0];
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>Zombie processes whose parent is this test process.</summary>
    public static List<int> ZombieChildren()
    {
        var me = Environment.ProcessId;
        var result = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                if (fields[0] == "Z" && int.Parse(fields[1], CultureInfo.InvariantCulture) == me)
                {
                    result.Add(pid);
                }
            }
            catch (IOException)
            {
            }
        }

        return result;
    }

    /// <summary>
    /// This process's open descriptors as "fd -> target", leaving out the runtime's mappings of assemblies it
    /// loads lazily (any test may load one at any time; they are not what a leak check is about).
    /// </summary>
    public static List<string> OpenDescriptors() =>
        Directory.GetFiles("/proc/self/fd")
            .Select(f => (Fd: Path.GetFileName(f), Target: SafeLinkTarget(f)))
            .Where(d => d.Target is not null && !d.Target.EndsWith(".dll", StringComparison.Ordinal))
            .Select(d => $"{d.Fd} -> {d.Target}")
            .ToList();

    /// <summary>How many descriptors <see cref="OpenDescriptors"/> finds.</summary>
    public static int OpenDescriptorCount() => OpenDescriptors().Count;

    private static string? SafeLinkTarget(string path)
    {
        try
        {
            return new FileInfo(path).LinkTarget;
        }
        catch (IOException)
        {
            return null; // closed while listing (the listing's own directory descriptor)
        }
    }

    /// <summary>The SHA-256 of <paramref name="count"/> pattern bytes of stream 1 or 2, as the kit writes them.</summary>
    public static string PatternHash(int stream, long count)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 16];
        for (long done = 0; done < count;)
        {
            var n = (int)Math.Min(buffer.Length, count - done);
            Gamut.TestKit.Pattern.Fill(buffer.AsSpan(0, n), stream, done);
            sha.AppendData(buffer, 0, n);
            done += n;
        }

        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    /// <summary>A hang guard for awaiting a process.</summary>
    public static readonly TimeSpan Ceiling = TimeSpan.FromSeconds(60);
}

/// <summary>A write-only stream that counts and hashes what it is given.</summary>
internal sealed class HashingStream : Stream
{
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

    public long Count { get; private set; }

    public string Hash() => Convert.ToHexStringLower(_hash.GetHashAndReset());

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => Count;

    public override long Position { get => Count; set => throw new NotSupportedException(); }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        _hash.AppendData(buffer);
        Count += buffer.Length;
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Write(buffer.Span);
        return ValueTask.CompletedTask;
    }

    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}

/// <summary>Tests that scan /proc for every process or count this process's descriptors run alone.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessHygieneCollection
{
    public const string Name = "Process hygiene (runs alone)";
}
