using System.Diagnostics.Metrics;
using Gamut.Jobs;

namespace Gamut.Hosting.Tests.Telemetry;

/// <summary>Every measurement Gamut's meter makes while it lives (a <see cref="MeterListener"/> on the "Gamut" meter).</summary>
public sealed class MeasurementLog : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly List<Measured> _measured = [];

    public MeasurementLog()
    {
        _listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == GamutTelemetry.Name)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Add(instrument, value, tags));
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Add(instrument, value, tags));
        _listener.Start();
    }

    /// <summary>The measurements of <paramref name="instrument"/> whose tags include every one of <paramref name="tags"/>.</summary>
    public List<Measured> Of(string instrument, params (string Key, object? Value)[] tags)
    {
        lock (_measured)
        {
            return [.. _measured.Where(m => m.Instrument == instrument && tags.All(t => m.Tags.TryGetValue(t.Key, out var v) ? Equals(v, t.Value) : t.Value is null))];
        }
    }

    /// <summary>The sum of the values of <see cref="Of"/>.</summary>
    public double Sum(string instrument, params (string Key, object? Value)[] tags) => Of(instrument, tags).Sum(m => m.Value);

    /// <summary>Asks every observable instrument for its values now (they are logged like any measurement).</summary>
    public void Observe() => _listener.RecordObservableInstruments();

    public void Clear()
    {
        lock (_measured)
        {
            _measured.Clear();
        }
    }

    public void Dispose() => _listener.Dispose();

    private void Add(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var map = new Dictionary<string, object?>();
        foreach (var tag in tags)
        {
            map[tag.Key] = tag.Value;
        }

        lock (_measured)
        {
            _measured.Add(new Measured(instrument.Name, value, map));
        }
    }

    public sealed record Measured(string Instrument, double Value, IReadOnlyDictionary<string, object?> Tags);
}
