using System.Text;

namespace Gamut.Processes.Internal;

/// <summary>
/// Turns the errno of a failed spawn into the typed error that names its cause. posix_spawn reports one
/// number for the whole attempt (ENOENT may mean the working directory, the file, or a script's
/// interpreter), so the candidates are checked after the fact, cheaply, only on failure.
/// </summary>
internal static class SpawnErrors
{
    private const int ENOENT = 2, E2BIG = 7, ENOEXEC = 8, EAGAIN = 11, ENOMEM = 12, EACCES = 13, ENOTDIR = 20,
        ENFILE = 23, EMFILE = 24, ETXTBSY = 26;

    public static CommandStartException FromErrno(SpawnRequest request, int errno, string describe)
    {
        var command = request.Command;
        var cwd = request.WorkingDirectory;
        var fullPath = request.Path.StartsWith('/') ? request.Path : Path.Combine(cwd ?? Environment.CurrentDirectory, request.Path);
        switch (errno)
        {
            case ENOENT or ENOTDIR or EACCES when cwd is not null && CheckWorkingDirectory(command, cwd) is { } bad:
                return bad;
            case ENOENT when File.Exists(fullPath):
                return MissingInterpreter(request, fullPath);
            case ENOENT or ENOTDIR:
                return new CommandNotFoundException(command, request.ArgumentZero, request.SearchedDirectories);
            case EACCES when Directory.Exists(fullPath):
                return new CommandPermissionException(command, fullPath, $"'{request.ArgumentZero}' is a directory, not an executable file (EACCES)");
            case EACCES:
                return new CommandPermissionException(command, fullPath, File.Exists(fullPath)
                    ? $"'{fullPath}' may not be executed: no execute permission, or a noexec file system (EACCES)"
                    : $"'{fullPath}' may not be reached: a directory on the way may not be searched (EACCES)");
            case E2BIG:
                return new ArgumentListTooLongException(command, request.Arguments.Count, Size(request));
            case EMFILE or ENFILE:
                return new CommandResourceLimitException(command, $"Cannot start '{command}': too many open files ({describe}); raise the limit (ulimit -n) or run fewer commands at once", errno);
            case EAGAIN:
                return new CommandResourceLimitException(command, $"Cannot start '{command}': the process limit is reached ({describe}; a cgroup's pids.max or ulimit -u)", errno);
            case ENOMEM:
                return new CommandResourceLimitException(command, $"Cannot start '{command}': out of memory ({describe})", errno);
            case ENOEXEC:
                return new CommandStartException(command, $"'{fullPath}' is not in an executable format (ENOEXEC): a script needs a #! line, a binary must match this machine", errno);
            case ETXTBSY:
                return new CommandStartException(command, $"'{fullPath}' is open for writing and cannot be executed yet (ETXTBSY)", errno);
            default:
                return new CommandStartException(command, $"Cannot start '{command}' ({describe})", errno);
        }
    }

    /// <summary>A failure to create the parent's pipes or open a redirection file.</summary>
    public static CommandStartException Setup(Command command, int errno, string what, string describe) =>
        errno is EMFILE or ENFILE
            ? new CommandResourceLimitException(command, $"Cannot start '{command}': too many open files while {what} ({describe})", errno)
            : errno is ENOMEM
                ? new CommandResourceLimitException(command, $"Cannot start '{command}': out of memory while {what} ({describe})", errno)
                : new CommandStartException(command, $"Cannot start '{command}': {what} failed ({describe})", errno);

    private static WorkingDirectoryException? CheckWorkingDirectory(Command command, string cwd)
    {
        if (Directory.Exists(cwd))
        {
            if (OperatingSystem.IsWindows())
            {
                return null;
            }

            try
            {
                // chdir needs search (x) permission; root passes regardless, so this only errs for others.
                Directory.EnumerateFileSystemEntries(cwd).GetEnumerator().Dispose();
                return null;
            }
            catch (UnauthorizedAccessException)
            {
                return new WorkingDirectoryException(command, cwd, $"The working directory '{cwd}' may not be entered (EACCES)", EACCES);
            }
            catch (IOException)
            {
                return null;
            }
        }

        return File.Exists(cwd)
            ? new WorkingDirectoryException(command, cwd, $"The working directory '{cwd}' is a file, not a directory (ENOTDIR)", ENOTDIR)
            : new WorkingDirectoryException(command, cwd, $"The working directory '{cwd}' does not exist (ENOENT)", ENOENT);
    }

    private static CommandStartException MissingInterpreter(SpawnRequest request, string path)
    {
        var interpreter = ReadShebang(path);
        if (interpreter is not null)
        {
            return new CommandNotFoundException(request.Command, request.ArgumentZero, request.SearchedDirectories, interpreter);
        }

        return new CommandNotFoundException(
            request.Command,
            request.ArgumentZero,
            request.SearchedDirectories,
            message: $"'{path}' exists, but the kernel reported ENOENT: its program interpreter (the dynamic loader of an ELF binary) is missing");
    }

    private static string? ReadShebang(string path)
    {
        try
        {
            using var file = File.OpenRead(path);
            Span<byte> head = stackalloc byte[256];
            var n = file.Read(head);
            if (n < 3 || head[0] != '#' || head[1] != '!')
            {
                return null;
            }

            var line = Encoding.UTF8.GetString(head[2..n]).Split('\n')[0].Trim();
            var end = line.IndexOfAny([' ', '\t']);
            return end < 0 ? line : line[..end];
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static long Size(SpawnRequest request)
    {
        long total = Encoding.UTF8.GetByteCount(request.ArgumentZero) + 1;
        foreach (var a in request.Arguments)
        {
            total += Encoding.UTF8.GetByteCount(a) + 1 + 8;
        }

        foreach (var (name, value) in request.Environment)
        {
            total += Encoding.UTF8.GetByteCount(name) + Encoding.UTF8.GetByteCount(value) + 2 + 8;
        }

        return total;
    }
}
