using System.Globalization;

namespace OgClews.Coupling.Acceleration;

/// <summary>
/// A snapshot of an accelerator: its kind, its settings (to check that a checkpoint is restored into
/// an accelerator configured the same way) and its numbers. Checkpoints write every double
/// round-trip exact, so a restored accelerator continues bit-identically.
/// </summary>
public sealed class AcceleratorState
{
    /// <summary>The accelerator's <see cref="IFixedPointAccelerator.Name"/>.</summary>
    public required string Kind { get; init; }

    /// <summary>The settings the accelerator was created with (flags as 0/1).</summary>
    public IReadOnlyDictionary<string, double> Settings { get; init; } = new Dictionary<string, double>(StringComparer.Ordinal);

    /// <summary>Scalar state (counters stored as exact integers in doubles, flags as 0/1).</summary>
    public IReadOnlyDictionary<string, double> Scalars { get; init; } = new Dictionary<string, double>(StringComparer.Ordinal);

    /// <summary>Vector state, e.g. the previous residual.</summary>
    public IReadOnlyDictionary<string, double[]> Vectors { get; init; } = new Dictionary<string, double[]>(StringComparer.Ordinal);

    /// <summary>Lists of vectors, oldest first, e.g. Anderson's history columns.</summary>
    public IReadOnlyDictionary<string, double[][]> Lists { get; init; } = new Dictionary<string, double[][]>(StringComparer.Ordinal);

    // Checks shared by the accelerators' RestoreState.
    internal void Require(string kind, IReadOnlyDictionary<string, double> settings)
    {
        if (!string.Equals(Kind, kind, StringComparison.Ordinal))
            throw new CouplingException($"The saved accelerator state is for '{Kind}', but the accelerator is '{kind}'.");
        foreach (var (name, value) in settings)
        {
            if (!Settings.TryGetValue(name, out double saved))
                throw new CouplingException($"The saved '{kind}' state has no setting '{name}'.");
            if (BitConverter.DoubleToInt64Bits(saved) != BitConverter.DoubleToInt64Bits(value))
                throw new CouplingException(string.Create(CultureInfo.InvariantCulture,
                    $"The saved '{kind}' state was made with {name} = {saved:R}, but the accelerator has {name} = {value:R}; resume with the same settings."));
        }
    }

    internal double Scalar(string name) =>
        Scalars.TryGetValue(name, out double v) ? v : throw new CouplingException($"The saved '{Kind}' state has no scalar '{name}'.");

    internal int Count(string name)
    {
        double v = Scalar(name);
        if (!(v >= 0 && v <= int.MaxValue && Math.Floor(v) == v))
            throw new CouplingException($"The saved '{Kind}' state has a bad count {name} = {v.ToString("R", CultureInfo.InvariantCulture)}.");
        return (int)v;
    }

    internal double[]? Vector(string name, int length, bool required)
    {
        if (!Vectors.TryGetValue(name, out var v) || v is null)
        {
            if (required) throw new CouplingException($"The saved '{Kind}' state has no vector '{name}'.");
            return null;
        }
        if (length >= 0 && v.Length != length)
            throw new CouplingException($"The saved '{Kind}' state's vector '{name}' has {v.Length} values, expected {length}.");
        return (double[])v.Clone();
    }

    internal List<double[]> List(string name, int length)
    {
        if (!Lists.TryGetValue(name, out var list) || list is null)
            throw new CouplingException($"The saved '{Kind}' state has no list '{name}'.");
        var copy = new List<double[]>(list.Length);
        foreach (var v in list)
        {
            if (v is null || (length >= 0 && v.Length != length))
                throw new CouplingException($"The saved '{Kind}' state's list '{name}' has a vector of the wrong length (expected {length}).");
            copy.Add((double[])v.Clone());
        }
        return copy;
    }

    internal static void CheckInputs(ReadOnlySpan<double> x, ReadOnlySpan<double> gx, int expectedLength)
    {
        if (x.Length == 0) throw new ArgumentException("x is empty.", nameof(x));
        if (x.Length != gx.Length) throw new ArgumentException($"x has {x.Length} values but G(x) has {gx.Length}.", nameof(gx));
        if (expectedLength >= 0 && x.Length != expectedLength)
            throw new ArgumentException($"x has {x.Length} values but the accelerator's history has {expectedLength}; call Reset() when the dimension changes.", nameof(x));
        for (int i = 0; i < x.Length; i++)
        {
            if (!double.IsFinite(x[i]) || !double.IsFinite(gx[i]))
                throw new ArgumentException($"x or G(x) is not finite at index {i}.", nameof(gx));
        }
    }
}
