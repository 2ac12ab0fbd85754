using System.Text.Json;
using OgClews.Coupling.Acceleration;
using OgClews.Coupling.Checkpointing;

namespace OgClews.Coupling.Tests;

public class AcceleratorTests
{
    [Fact]
    public void Damped_relaxation_is_x_plus_alpha_times_the_residual()
    {
        var a = new DampedRelaxation(0.25);
        double[] x = [1, -2, 3], gx = [2, 2, -1];
        var next = a.Next(x, gx);
        Assert.Equal([1 + 0.25 * 1, -2 + 0.25 * 4, 3 + 0.25 * -4], next);
        Assert.Equal(StepMethods.Damped, a.LastStep);
        Assert.Throws<ArgumentOutOfRangeException>(() => new DampedRelaxation(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DampedRelaxation(double.NaN));
    }

    [Theory]
    [InlineData(-0.5)]
    [InlineData(0.8)]
    [InlineData(-3.0)]
    public void Aitken_finds_the_exact_relaxation_of_a_scalar_linear_map(double slope)
    {
        // G(x) = a x + b: the optimal ω is 1/(1 − a), which lands on x* = b/(1 − a) in one step.
        const double b = 2;
        double xStar = b / (1 - slope);
        var a = new AitkenRelaxation(new AitkenOptions { OmegaMin = -10, OmegaMax = 10, InitialOmega = 0.5 });
        double x = 0;
        x = a.Next([x], [slope * x + b])[0];
        Assert.Equal(0.5, a.Omega);
        x = a.Next([x], [slope * x + b])[0];
        Assert.Equal(1 / (1 - slope), a.Omega, 12);
        Assert.Equal(xStar, x, 12);
    }

    [Fact]
    public void Aitken_clamps_omega()
    {
        var a = new AitkenRelaxation(); // [0.05, 2]
        double x = 0;
        for (int i = 0; i < 3; i++) x = a.Next([x], [0.9 * x + 1])[0]; // optimal ω = 10
        Assert.Equal(2.0, a.Omega);
        var b = new AitkenRelaxation();
        x = 0;
        for (int i = 0; i < 3; i++) x = b.Next([x], [-30 * x + 1])[0]; // optimal ω = 1/31
        Assert.Equal(0.05, b.Omega);
        b.Reset();
        Assert.Equal(0.5, b.Omega);
        Assert.Throws<ArgumentException>(() => new AitkenRelaxation(new AitkenOptions { OmegaMin = 1, OmegaMax = 0.5 }));
        Assert.Throws<ArgumentException>(() => new AitkenRelaxation(new AitkenOptions { InitialOmega = 3 }));
    }

    [Fact]
    public void Anderson_falls_back_to_a_damped_step_and_resets_when_the_residual_grows()
    {
        var a = new AndersonAcceleration(new AndersonOptions { SafeguardGrowthFactor = 2, FallbackDamping = 0.5 });
        a.Next([0, 0], [1, 1]);              // f = (1, 1)
        a.Next([1, 1], [1.5, 1.2]);          // f = (0.5, 0.2): one history column
        Assert.Equal(StepMethods.Anderson, a.LastStep);
        Assert.Equal(1, a.LastDepth);
        var next = a.Next([2, 2], [5, 6]);   // f = (3, 4): ‖f‖ = 5 > 2 × ‖(0.5, 0.2)‖
        Assert.Equal(StepMethods.FallbackDamped, a.LastStep);
        Assert.Equal([2 + 0.5 * 3, 2 + 0.5 * 4], next);
        Assert.Equal(1, a.FallbackCount);
        Assert.Empty(a.SaveState().Lists["deltaF"]);
        // The point of the fallback is the new base: the next step has one column again.
        a.Next([3.5, 4], [4, 4.5]);
        Assert.Equal(StepMethods.Anderson, a.LastStep);
        Assert.Equal(1, a.LastDepth);
    }

    [Fact]
    public void Anderson_drops_columns_that_make_the_history_ill_conditioned()
    {
        // Residuals always along one direction: every ΔF column is parallel to the first.
        var a = new AndersonAcceleration(new AndersonOptions { Depth = 3, SafeguardGrowthFactor = double.PositiveInfinity });
        double[] v = [1, 2, -1];
        double[] scales = [1, 0.5, 0.3, 0.2, 0.1];
        for (int k = 0; k < scales.Length; k++)
        {
            double[] x = [k, k, k];
            var next = a.Next(x, [.. x.Select((xi, i) => xi + scales[k] * v[i])]);
            Assert.All(next, d => Assert.True(double.IsFinite(d)));
            Assert.True(a.LastDepth <= 1, $"step {k} used {a.LastDepth} columns");
        }
        Assert.True(a.DroppedColumnCount >= 2);
    }

    [Fact]
    public void Anderson_restarts_after_the_restart_interval_and_keeps_at_most_depth_columns()
    {
        var map = TestMaps.CosineSystem(4, 1);
        var restarted = new AndersonAcceleration(new AndersonOptions { RestartInterval = 2, SafeguardGrowthFactor = double.PositiveInfinity });
        var windowed = new AndersonAcceleration(new AndersonOptions { Depth = 2, SafeguardGrowthFactor = double.PositiveInfinity });
        var steps = new List<string>();
        double[] x = [0.1, 0.2, 0.3, 0.4], y = (double[])x.Clone();
        for (int k = 0; k < 7; k++)
        {
            x = restarted.Next(x, map(x));
            steps.Add(restarted.LastStep);
            y = windowed.Next(y, map(y));
            Assert.True(windowed.LastDepth <= 2);
        }
        Assert.Equal(["anderson-start", "anderson", "anderson", "anderson-start", "anderson", "anderson", "anderson-start"], steps);
        Assert.Equal(2, restarted.RestartCount);
        Assert.Equal(2, windowed.LastDepth);
    }

    public static TheoryData<string> Kinds => ["damped", "aitken", "anderson"];

    private static IFixedPointAccelerator Create(string kind, int depth = 3) => kind switch
    {
        "damped" => new DampedRelaxation(0.7),
        "aitken" => new AitkenRelaxation(),
        _ => new AndersonAcceleration(new AndersonOptions { Depth = depth }),
    };

    [Theory]
    [MemberData(nameof(Kinds))]
    public void A_saved_state_restored_from_json_continues_bit_identically(string kind)
    {
        var map = TestMaps.CosineSystem(5, 2);
        var original = Create(kind);
        double[] x = [0.3, -0.2, 0.9, 0.1, 0.5];
        for (int k = 0; k < 6; k++) x = original.Next(x, map(x));

        string json = JsonSerializer.Serialize(original.SaveState(), CheckpointStore.Json);
        var copy = Create(kind);
        copy.RestoreState(JsonSerializer.Deserialize<AcceleratorState>(json, CheckpointStore.Json)!);

        double[] y = (double[])x.Clone();
        for (int k = 0; k < 6; k++)
        {
            x = original.Next(x, map(x));
            y = copy.Next(y, map(y));
            Assert.Equal(x.Select(BitConverter.DoubleToInt64Bits), y.Select(BitConverter.DoubleToInt64Bits));
            Assert.Equal(original.LastStep, copy.LastStep);
        }
    }

    [Fact]
    public void A_state_is_only_restored_into_the_same_kind_with_the_same_settings()
    {
        var state = new AndersonAcceleration(new AndersonOptions { Depth = 3 }).SaveState();
        var e = Assert.Throws<CouplingException>(() => new AndersonAcceleration(new AndersonOptions { Depth = 4 }).RestoreState(state));
        Assert.Contains("depth = 3", e.Message);
        e = Assert.Throws<CouplingException>(() => new AitkenRelaxation().RestoreState(state));
        Assert.Contains("'anderson'", e.Message);
    }

    [Fact]
    public void Inputs_are_checked()
    {
        var a = new AndersonAcceleration();
        Assert.Throws<ArgumentException>(() => a.Next([1, 2], [1]));
        Assert.Throws<ArgumentException>(() => a.Next([1, double.NaN], [1, 2]));
        a.Next([1, 2], [1, 3]);
        Assert.Throws<ArgumentException>(() => a.Next([1, 2, 3], [1, 2, 3])); // dimension changed without Reset
        a.Reset();
        a.Next([1, 2, 3], [1, 2, 3]);
        Assert.Throws<ArgumentException>(() => new AndersonAcceleration(new AndersonOptions { Depth = 0 }));
        Assert.Throws<ArgumentException>(() => new AndersonAcceleration(new AndersonOptions { Damping = 1.5 }));
        Assert.Throws<ArgumentException>(() => new AndersonAcceleration(new AndersonOptions { Regularization = -1 }));
        Assert.Throws<ArgumentException>(() => new AndersonAcceleration(new AndersonOptions { SafeguardGrowthFactor = 0.5 }));
    }
}
