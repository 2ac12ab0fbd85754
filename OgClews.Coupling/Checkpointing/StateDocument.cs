namespace OgClews.Coupling.Checkpointing;

// state.json: which checkpoint is the latest.
internal sealed class StateDocument
{
    public const string CurrentFormat = "ogclews-coupling-state/1";

    public string Format { get; set; } = CurrentFormat;

    public string Latest { get; set; } = "";

    public int Iteration { get; set; }

    public string Status { get; set; } = "running";

    public string? Message { get; set; }

    public double Residual { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }
}
