using System.Diagnostics;
using System.Text;

namespace Gamut.Cli.Tests;

/// <summary>How a program run ended: exit status and everything it wrote.</summary>
public sealed record ProgramResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Stdout}--- stderr\n{Stderr}";
}

/// <summary>Runs real programs for the tests: the built gamut, GNU parallel, a shell.</summary>
public static class ProgramRun
{
    /// <summary>
    /// The gamut executable under test: GAMUT_CLI when set — ./test sets it to the native build ./gamut makes, which
    /// is what users run — else the JIT build's apphost copied beside the test assembly.
    /// </summary>
    public static string Gamut { get; } =
        Environment.GetEnvironmentVariable("GAMUT_CLI") is { Length: > 0 } cli ? cli : Path.Combine(AppContext.BaseDirectory, "Gamut.Cli");

    /// <summary>The environment every run gets: a fixed shell for jobs, so gamut and parallel agree on it.</summary>
    public static IReadOnlyDictionary<string, string> BaseEnvironment { get; } = new Dictionary<string, string>
    {
        ["PARALLEL_SHELL"] = "/bin/bash",
        ["LC_ALL"] = "C.UTF-8",
    };

    public static ProgramResult Run(string program, IEnumerable<string> args, string? stdin = null,
        IReadOnlyDictionary<string, string>? env = null, string? workingDirectory = null, int hangGuardSeconds = 60)
    {
        var psi = new ProcessStartInfo(program)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = new UTF8Encoding(false),
            StandardErrorEncoding = new UTF8Encoding(false),
        };
        if (workingDirectory is not null)
        {
            psi.WorkingDirectory = workingDirectory;
        }

        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        foreach (var (k, v) in BaseEnvironment)
        {
            psi.Environment[k] = v;
        }

        if (env is not null)
        {
            foreach (var (k, v) in env)
            {
                psi.Environment[k] = v;
            }
        }

        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        try
        {
            if (stdin is not null)
            {
                var bytes = new UTF8Encoding(false).GetBytes(stdin);
                p.StandardInput.BaseStream.Write(bytes);
            }

            p.StandardInput.Close();
        }
        catch (IOException)
        {
            // The program exited (or closed its stdin) before reading what we offered — a usage error does exactly
            // that, as GNU parallel does. The broken pipe is the program's choice, not the test's failure.
        }
        if (!p.WaitForExit(TimeSpan.FromSeconds(hangGuardSeconds)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', args)} did not finish in {hangGuardSeconds} s");
        }

        p.WaitForExit();
        return new ProgramResult(p.ExitCode, stdout.GetAwaiter().GetResult(), stderr.GetAwaiter().GetResult());
    }

    public static ProgramResult RunGamut(IEnumerable<string> args, string? stdin = null, IReadOnlyDictionary<string, string>? env = null, string? workingDirectory = null) =>
        Run(Gamut, ["run", .. args], stdin, env, workingDirectory);

    public static ProgramResult RunParallel(IEnumerable<string> args, string? stdin = null, IReadOnlyDictionary<string, string>? env = null, string? workingDirectory = null) =>
        Run("parallel", ["--will-cite", .. args], stdin, env, workingDirectory);
}
