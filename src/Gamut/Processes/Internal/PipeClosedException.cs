namespace Gamut.Processes.Internal;

/// <summary>The other end of a pipe is closed (EPIPE): the child stopped reading its standard input.</summary>
internal sealed class PipeClosedException : IOException
{
    public PipeClosedException()
        : base("The child closed its standard input (EPIPE)")
    {
    }
}
