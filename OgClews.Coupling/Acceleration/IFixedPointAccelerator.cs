namespace OgClews.Coupling.Acceleration;

/// <summary>
/// Turns the current iterate x and its image G(x) into the next iterate. Implementations are
/// deterministic: the same sequence of calls from the same state gives bit-identical results, and
/// <see cref="SaveState"/> / <see cref="RestoreState"/> capture everything the next step depends on,
/// so a run resumed from a checkpoint continues exactly as it would have without the interruption.
/// </summary>
public interface IFixedPointAccelerator
{
    /// <summary>The method's name as written in checkpoints (<c>damped</c>, <c>aitken</c>, <c>anderson</c>).</summary>
    string Name { get; }

    /// <summary>The kind of step the last <see cref="Next"/> took (one of <see cref="StepMethods"/>), or <c>none</c> before the first.</summary>
    string LastStep { get; }

    /// <summary>
    /// The next iterate x₊ from x and G(x). Both must be finite and of the same length, which must
    /// not change between calls until <see cref="Reset"/>. The inputs are not modified.
    /// </summary>
    double[] Next(ReadOnlySpan<double> x, ReadOnlySpan<double> gx);

    /// <summary>Forgets all history: the next step is the method's first step again.</summary>
    void Reset();

    /// <summary>A snapshot of the settings and of everything the next step depends on.</summary>
    AcceleratorState SaveState();

    /// <summary>
    /// Restores a snapshot taken by <see cref="SaveState"/> of an accelerator of the same kind and
    /// settings; throws <see cref="CouplingException"/> for another kind, other settings or a
    /// malformed state.
    /// </summary>
    void RestoreState(AcceleratorState state);
}
