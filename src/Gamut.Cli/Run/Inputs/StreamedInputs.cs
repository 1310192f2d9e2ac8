using System.Threading.Channels;

namespace Gamut.Cli.Run.Inputs;

/// <summary>
/// Inputs read on a thread of their own (standard input, files, FIFOs), so a slow or silent source never stalls
/// the scheduler: jobs start as records arrive, and Ctrl-C works while a FIFO has no writer.
/// </summary>
internal sealed class StreamedInputs : IJobInputs
{
    private readonly Channel<InputRecord> _channel;
    private long _count;
    private volatile bool _ended;

    /// <param name="records">The records, read on the thread.</param>
    /// <param name="onError">Told when reading fails.</param>
    /// <param name="capacity">How many records may wait read but not taken.</param>
    public StreamedInputs(IEnumerable<InputRecord> records, Action<Exception> onError, int capacity = 4096)
    {
        _channel = Channel.CreateBounded<InputRecord>(new BoundedChannelOptions(capacity) { SingleReader = false, SingleWriter = true });
        var thread = new Thread(() =>
        {
            try
            {
                foreach (var r in records)
                {
                    while (!_channel.Writer.TryWrite(r))
                    {
                        if (!_channel.Writer.WaitToWriteAsync().AsTask().GetAwaiter().GetResult())
                        {
                            return;
                        }
                    }
                }
            }
            catch (Exception e)
            {
                onError(e);
            }
            finally
            {
                _channel.Writer.TryComplete();
            }
        })
        { IsBackground = true, Name = "gamut-inputs" };
        thread.Start();
    }

    public long? Completed => _ended ? _count : null;

    public bool TryTake(out InputRecord record)
    {
        if (_channel.Reader.TryRead(out record!))
        {
            _count++;
            return true;
        }

        if (_channel.Reader.Completion.IsCompleted)
        {
            _ended = true;
        }

        return false;
    }

    public Task WaitAsync() => _channel.Reader.WaitToReadAsync().AsTask();

    public void Dispose() => _channel.Writer.TryComplete();
}
