namespace OgClews.Coupling;

/// <summary>
/// A fixed-point problem x = G(x): the initial guess x₀, the named blocks x is made of (for
/// reporting), and the names of the map's components (for timing columns).
/// </summary>
public sealed class FixedPointProblem
{
    private readonly double[] _initialGuess;

    /// <summary>Creates the problem.</summary>
    /// <param name="initialGuess">x₀; copied. Must be finite and non-empty.</param>
    /// <param name="blocks">
    /// The blocks of x, in order, covering it without gaps or overlaps; null for one block named <c>x</c>.
    /// </param>
    /// <param name="componentNames">
    /// The names of the map's timed components, in the order of the <c>iterations.csv</c> columns;
    /// null to take them from the first evaluation.
    /// </param>
    public FixedPointProblem(double[] initialGuess, IReadOnlyList<ComponentBlock>? blocks = null, IReadOnlyList<string>? componentNames = null)
    {
        ArgumentNullException.ThrowIfNull(initialGuess);
        if (initialGuess.Length == 0) throw new ArgumentException("The initial guess is empty.", nameof(initialGuess));
        for (int i = 0; i < initialGuess.Length; i++)
        {
            if (!double.IsFinite(initialGuess[i]))
                throw new ArgumentException($"The initial guess has a non-finite value ({initialGuess[i]}) at index {i}.", nameof(initialGuess));
        }
        _initialGuess = (double[])initialGuess.Clone();
        Blocks = blocks is null ? [new ComponentBlock("x", 0, initialGuess.Length)] : CheckBlocks(blocks, initialGuess.Length);
        if (componentNames is not null)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (string name in componentNames)
            {
                if (string.IsNullOrWhiteSpace(name)) throw new ArgumentException("A component name is empty.", nameof(componentNames));
                if (!seen.Add(name)) throw new ArgumentException($"Component name '{name}' appears twice.", nameof(componentNames));
            }
            ComponentNames = [.. componentNames];
        }
    }

    /// <summary>
    /// Builds a problem whose x is the concatenation of named paths (e.g. <c>("gdp", gdp0)</c>,
    /// <c>("r", r0)</c>), one block per path.
    /// </summary>
    public static FixedPointProblem Concatenate(IReadOnlyList<(string Name, double[] Initial)> paths, IReadOnlyList<string>? componentNames = null)
    {
        ArgumentNullException.ThrowIfNull(paths);
        var blocks = new List<ComponentBlock>(paths.Count);
        var x = new List<double>();
        foreach (var (name, initial) in paths)
        {
            ArgumentNullException.ThrowIfNull(initial);
            blocks.Add(new ComponentBlock(name, x.Count, initial.Length));
            x.AddRange(initial);
        }
        return new FixedPointProblem([.. x], blocks, componentNames);
    }

    /// <summary>The dimension n of x.</summary>
    public int Dimension => _initialGuess.Length;

    /// <summary>A copy of x₀.</summary>
    public double[] InitialGuess => (double[])_initialGuess.Clone();

    /// <summary>The blocks of x, in order, covering it.</summary>
    public IReadOnlyList<ComponentBlock> Blocks { get; }

    /// <summary>The map's timed components, or null when they are taken from the first evaluation.</summary>
    public IReadOnlyList<string>? ComponentNames { get; }

    /// <summary>Splits a vector of this problem's dimension into its blocks (copies), by block name.</summary>
    public IReadOnlyDictionary<string, double[]> Split(ReadOnlySpan<double> x)
    {
        if (x.Length != Dimension) throw new ArgumentException($"Expected {Dimension} values, got {x.Length}.", nameof(x));
        var parts = new Dictionary<string, double[]>(StringComparer.Ordinal);
        foreach (var b in Blocks) parts[b.Name] = x.Slice(b.Offset, b.Length).ToArray();
        return parts;
    }

    /// <summary>The block that component <paramref name="index"/> belongs to, and the index within it.</summary>
    public (ComponentBlock Block, int IndexInBlock) Locate(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Dimension);
        foreach (var b in Blocks)
        {
            if (index < b.Offset + b.Length) return (b, index - b.Offset);
        }
        throw new InvalidOperationException("Blocks do not cover x."); // unreachable: checked at construction
    }

    private static ComponentBlock[] CheckBlocks(IReadOnlyList<ComponentBlock> blocks, int n)
    {
        if (blocks.Count == 0) throw new ArgumentException("No blocks given.", nameof(blocks));
        var names = new HashSet<string>(StringComparer.Ordinal);
        int next = 0;
        foreach (var b in blocks)
        {
            ArgumentNullException.ThrowIfNull(b);
            if (string.IsNullOrWhiteSpace(b.Name)) throw new ArgumentException("A block name is empty.", nameof(blocks));
            if (!names.Add(b.Name)) throw new ArgumentException($"Block name '{b.Name}' appears twice.", nameof(blocks));
            if (b.Offset != next || b.Length < 1)
                throw new ArgumentException($"Block '{b.Name}' [{b.Offset}, {b.Offset + b.Length}) does not continue the previous block at {next} (blocks must cover x in order, without gaps or overlaps).", nameof(blocks));
            if (b.Floor is { } f && !(f > 0 && double.IsFinite(f)))
                throw new ArgumentException($"Block '{b.Name}' has floor {f}; it must be positive and finite.", nameof(blocks));
            next = b.Offset + b.Length;
        }
        if (next != n) throw new ArgumentException($"The blocks cover {next} components, but x has {n}.", nameof(blocks));
        return [.. blocks];
    }
}
