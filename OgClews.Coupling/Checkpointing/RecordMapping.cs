using OgClews.Coupling.Orchestration;

namespace OgClews.Coupling.Checkpointing;

// IterationRecord <-> its JSON form. Durations are written in seconds.
internal static class RecordMapping
{
    public static RecordDocument ToDocument(IterationRecord r)
    {
        var components = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var (name, time) in r.ComponentTimes) components[name] = time.TotalSeconds;
        return new RecordDocument
        {
            Iteration = r.Iteration,
            Residual = r.Residual,
            AbsoluteResidual = r.AbsoluteResidual,
            Method = r.Method,
            StepSize = r.StepSize,
            BlockResiduals = new Dictionary<string, double>(r.BlockResiduals, StringComparer.Ordinal),
            ComponentSeconds = components,
            MapSeconds = r.MapTime.TotalSeconds,
            WallSeconds = r.WallTime.TotalSeconds,
            OverheadSeconds = r.Overhead.TotalSeconds,
            X = r.X,
            GX = r.GX,
        };
    }

    public static IterationRecord ToRecord(RecordDocument d)
    {
        var components = new Dictionary<string, TimeSpan>(StringComparer.Ordinal);
        foreach (var (name, seconds) in d.ComponentSeconds) components[name] = Seconds(seconds);
        return new IterationRecord
        {
            Iteration = d.Iteration,
            X = d.X,
            GX = d.GX,
            Residual = d.Residual,
            AbsoluteResidual = d.AbsoluteResidual,
            BlockResiduals = new Dictionary<string, double>(d.BlockResiduals, StringComparer.Ordinal),
            Method = d.Method,
            StepSize = d.StepSize,
            ComponentTimes = components,
            MapTime = Seconds(d.MapSeconds),
            WallTime = Seconds(d.WallSeconds),
        };
    }

    private static TimeSpan Seconds(double s) =>
        double.IsFinite(s) ? TimeSpan.FromTicks((long)Math.Round(s * TimeSpan.TicksPerSecond)) : TimeSpan.Zero;
}
