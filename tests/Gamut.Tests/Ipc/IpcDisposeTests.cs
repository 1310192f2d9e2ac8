using Gamut.Tests.Processes;

namespace Gamut.Tests.Ipc;

/// <summary>
/// Disposing a cross-process object while a wait on it is pending (or a lease of it is held). The scenario runs in
/// a test-kit child: before the mapping was reference-counted, the futex pump read unmapped memory and the process
/// died with an access violation (exit 134), which would take the test host down with it.
/// </summary>
public sealed class IpcDisposeTests
{
    [Theory]
    [InlineData("event")]
    [InlineData("queue")]
    [InlineData("lock")]
    public async Task A_wait_pending_when_its_object_is_disposed_fails_with_ObjectDisposedException_and_the_process_lives(string kind)
    {
        var result = await RunAsync(kind);

        Assert.True(result.ExitCode == 0, $"exit {result.ExitCode}; stdout: {result.StandardOutput}; stderr: {result.StandardError}");
        Assert.Contains("pending: ObjectDisposedException", result.StandardOutput);
        Assert.Contains("after: ok", result.StandardOutput);
    }

    [Fact]
    public async Task A_lease_released_after_its_lock_was_disposed_releases_without_touching_unmapped_memory()
    {
        var result = await RunAsync("lease");

        Assert.True(result.ExitCode == 0, $"exit {result.ExitCode}; stdout: {result.StandardOutput}; stderr: {result.StandardError}");
        Assert.Contains("after: ok", result.StandardOutput);
    }

    private static Task<Gamut.Processes.CommandResult> RunAsync(string kind) =>
        Kit.Run("host-ipc-dispose", kind)
            .WithThrowOnNonZeroExit(false)
            .WithTimeout(TimeSpan.FromMinutes(2)) // a hang guard only
            .RunAsync();
}
