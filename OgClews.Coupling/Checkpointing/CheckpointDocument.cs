using OgClews.Coupling.Acceleration;

namespace OgClews.Coupling.Checkpointing;

// checkpoints/iter-NNNN.json: everything needed to continue after iteration Iteration.
internal sealed class CheckpointDocument
{
    public const string CurrentFormat = "ogclews-coupling-checkpoint/1";

    public string Format { get; set; } = CurrentFormat;

    public int Iteration { get; set; }

    // "running" or the ConvergenceStatus the run ended with at this iteration.
    public string Status { get; set; } = "running";

    // The run's message when Status is not "running".
    public string? Message { get; set; }

    public DateTimeOffset WrittenAt { get; set; }

    public int Dimension { get; set; }

    public List<BlockDocument> Blocks { get; set; } = [];

    public RecordDocument Record { get; set; } = new();

    // x_{k+1}, or null when no step was taken (converged, or G(x) not finite).
    public double[]? Next { get; set; }

    // The relative and absolute residuals of iterations 0..Iteration (the divergence and oscillation
    // criteria need the history).
    public double[] Residuals { get; set; } = [];

    public double[] AbsoluteResiduals { get; set; } = [];

    public AcceleratorState? Accelerator { get; set; }
}

internal sealed class BlockDocument
{
    public string Name { get; set; } = "";

    public int Offset { get; set; }

    public int Length { get; set; }
}

internal sealed class RecordDocument
{
    public int Iteration { get; set; }

    public double Residual { get; set; }

    public double AbsoluteResidual { get; set; }

    public string Method { get; set; } = "";

    public double StepSize { get; set; }

    public Dictionary<string, double> BlockResiduals { get; set; } = [];

    // Seconds; the order of the map's timings is kept.
    public Dictionary<string, double> ComponentSeconds { get; set; } = [];

    public double MapSeconds { get; set; }

    public double WallSeconds { get; set; }

    public double OverheadSeconds { get; set; }

    public double[] X { get; set; } = [];

    public double[] GX { get; set; } = [];
}
