using Gamut.Processes;

namespace Gamut.Redis.Tests.Infrastructure;

/// <summary>
/// The programs the tests drive — redis-cli and the gamut CLI — run through Gamut's own subprocess layer: arguments
/// as a list (no shell), stdin closed unless given, both outputs captured, a non-zero exit returned, not thrown.
/// </summary>
public static class Tools
{
    /// <summary>The gamut CLI under test: GAMUT_CLI when set (./test: the native build users run), else the one built next to the tests.</summary>
    public static readonly string GamutCli =
        Environment.GetEnvironmentVariable("GAMUT_CLI") is { Length: > 0 } cli ? cli : Path.Combine(AppContext.BaseDirectory, "Gamut.Cli");

    /// <summary>Runs <paramref name="program"/> to its end (within the test guard).</summary>
    public static async Task<(int Code, string Out, string Err)> RunAsync(string program, IEnumerable<string> args, byte[]? stdin = null)
    {
        var command = Command.Create(program, args).WithThrowOnNonZeroExit(false);
        if (stdin is not null)
        {
            command = command.WithStandardInput(InputSource.FromBytes(stdin));
        }

        var result = await command.RunAsync().WaitAsync(TestOptions.Guard);
        return (result.ExitCode, result.StandardOutput, result.StandardError);
    }

    /// <summary>Runs the gamut CLI.</summary>
    public static Task<(int Code, string Out, string Err)> GamutAsync(params string[] args) => RunAsync(GamutCli, args);

    /// <summary>
    /// Runs redis-cli against the server on <paramref name="port"/>; returns its trimmed stdout. With
    /// <paramref name="cluster"/> it follows MOVED redirects to the node that holds a key's slot; with
    /// <paramref name="stdin"/> that is sent as the last argument (<c>-x</c>), for binary or huge values.
    /// </summary>
    public static async Task<string> RedisCliAsync(int port, IEnumerable<string> args, bool cluster = false, byte[]? stdin = null)
    {
        List<string> all = ["-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture)];
        if (cluster)
        {
            all.Add("-c");
        }

        if (stdin is not null)
        {
            all.Add("-x");
        }

        all.AddRange(args);
        return (await RunAsync("redis-cli", all, stdin)).Out.Trim();
    }

    /// <summary>Joins six fresh cluster-enabled servers into a cluster of three primaries with a replica each.</summary>
    public static async Task CreateClusterAsync(IEnumerable<RedisServer> nodes)
    {
        string[] args = ["--cluster", "create", .. nodes.Select(n => $"127.0.0.1:{n.Port}"), "--cluster-replicas", "1", "--cluster-yes"];
        var (code, output, error) = await RunAsync("redis-cli", args);
        if (code != 0)
        {
            throw new InvalidOperationException($"redis-cli --cluster create failed ({code}): {output}{error}");
        }
    }
}
