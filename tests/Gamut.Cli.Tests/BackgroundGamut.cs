using System.Diagnostics;
using System.Text;

namespace Gamut.Cli.Tests;

/// <summary>gamut run started in the background, for tests that signal it mid-run.</summary>
public sealed class BackgroundGamut : IDisposable
{
    private readonly Process _process;
    private readonly Task<string> _stdout;
    private readonly Task<string> _stderr;

    public BackgroundGamut(IEnumerable<string> args, string workingDirectory)
    {
        var psi = new ProcessStartInfo(ProgramRun.Gamut)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory,
            StandardOutputEncoding = new UTF8Encoding(false),
        };
        psi.ArgumentList.Add("run");
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        foreach (var (k, v) in ProgramRun.BaseEnvironment)
        {
            psi.Environment[k] = v;
        }

        _process = Process.Start(psi)!;
        _process.StandardInput.Close();
        _stdout = _process.StandardOutput.ReadToEndAsync();
        _stderr = _process.StandardError.ReadToEndAsync();
    }

    public int Pid => _process.Id;

    public void Signal(string signal) => ProcessScan.Signal(_process.Id, signal);

    /// <summary>Waits for gamut to exit (hang guard: <paramref name="seconds"/>).</summary>
    public ProgramResult WaitForExit(int seconds = 30)
    {
        if (!_process.WaitForExit(TimeSpan.FromSeconds(seconds)))
        {
            _process.Kill(entireProcessTree: true);
            throw new TimeoutException($"gamut did not exit within {seconds} s");
        }

        _process.WaitForExit();
        return new ProgramResult(_process.ExitCode, _stdout.GetAwaiter().GetResult(), _stderr.GetAwaiter().GetResult());
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.Dispose();
    }
}
