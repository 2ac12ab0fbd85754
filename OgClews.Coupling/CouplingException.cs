namespace OgClews.Coupling;

/// <summary>
/// A fixed-point problem, map result, checkpoint or resume that cannot be used: wrong dimension, a run
/// folder that already holds a run, no readable checkpoint, a checkpoint written by another accelerator.
/// </summary>
public sealed class CouplingException : Exception
{
    /// <summary>Creates the exception.</summary>
    public CouplingException(string message, Exception? inner = null) : base(message, inner) { }
}
