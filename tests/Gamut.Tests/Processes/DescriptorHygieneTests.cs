using System.IO.Pipes;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Gamut.Processes;

namespace Gamut.Tests.Processes;

/// <summary>SP-3: no descriptor but stdio reaches a child, however the parent opened it, under concurrent spawns.</summary>
[Collection(ProcessHygieneCollection.Name)]
public sealed class DescriptorHygieneTests
{
    [Fact]
    public async Task Five_hundred_concurrent_children_each_see_only_stdin_stdout_and_stderr()
    {
        var held = new List<IDisposable>();
        var raw = new List<int>();
        try
        {
            // 200 descriptors: 70 files opened WITHOUT O_CLOEXEC (as a native library might), 20 listening and
            // 40 connected sockets, and 35 inheritable anonymous pipes (70 descriptors, also without O_CLOEXEC).
            for (var i = 0; i < 70; i++)
            {
                var fd = open("/dev/null", 0);
                Assert.True(fd >= 0);
                Assert.Equal(0, fcntl(fd, 1 /* F_GETFD */, 0) & 1);
                raw.Add(fd);
            }

            for (var i = 0; i < 20; i++)
            {
                var listener = new TcpListener(IPAddress.Loopback, 0);
                listener.Start();
                held.Add(listener.Server);
                var client = new TcpClient();
                await client.ConnectAsync((IPEndPoint)listener.LocalEndpoint);
                held.Add(client);
                held.Add(await listener.AcceptSocketAsync());
            }

            for (var i = 0; i < 35; i++)
            {
                var pipe = new AnonymousPipeServerStream(PipeDirection.Out, HandleInheritability.Inheritable);
                held.Add(pipe);
                held.Add(new AnonymousPipeClientStream(PipeDirection.In, pipe.ClientSafePipeHandle));
            }

            var listing = Command.Shell("ls /proc/$$/fd");
            await CommandBatch.RunAsync([listing]).ToListAsync(); // assemblies and the reactor are loaded
            var before = Kit.OpenDescriptors();

            var completions = await CommandBatch.RunAsync(Enumerable.Repeat(listing, 500), new CommandBatchOptions { MaxConcurrency = 64 }).ToListAsync();

            Assert.Equal(500, completions.Count);
            Assert.All(completions, c => Assert.Equal("0\n1\n2\n", c.GetResult().StandardOutput));
            var after = Kit.OpenDescriptors();
            Assert.True(before.Count == after.Count, $"leaked: {string.Join(", ", after.Except(before))}; closed: {string.Join(", ", before.Except(after))}");
            Assert.Empty(Kit.ZombieChildren());
        }
        finally
        {
            foreach (var fd in raw)
            {
                close(fd);
            }

            foreach (var h in held)
            {
                h.Dispose();
            }
        }
    }

    [Fact]
    public async Task Inherited_handles_reach_the_child_as_fds_3_4_and_nothing_else_does()
    {
        using var file = File.OpenHandle(Path.GetTempFileName(), FileMode.Open, FileAccess.Read, FileShare.ReadWrite, FileOptions.DeleteOnClose);
        using var pipe = new AnonymousPipeServerStream(PipeDirection.Out, HandleInheritability.None);

        var result = await Command.Shell("ls /proc/$$/fd").WithInheritedHandles(file, pipe.SafePipeHandle).RunAsync();

        Assert.Equal("0\n1\n2\n3\n4\n", result.StandardOutput);
    }

    [Fact]
    public async Task An_inherited_handle_carries_its_data_to_the_child()
    {
        var path = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(path, "through fd 3");
            using var file = File.OpenHandle(path);

            var result = await Command.Shell("cat <&3").WithInheritedHandles(file).RunAsync();

            Assert.Equal("through fd 3", result.StandardOutput);
        }
        finally
        {
            File.Delete(path);
        }
    }

    // DllImport, not LibraryImport: the test project does not allow unsafe code.
    [DllImport("libc", SetLastError = true)]
    private static extern int open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", SetLastError = true)]
    private static extern int fcntl(int fd, int command, int argument);

    [DllImport("libc", SetLastError = true)]
    private static extern int close(int fd);
}
