namespace OgClews.Coupling.Acceleration;

/// <summary>The names of the steps an accelerator takes, as reported in iteration records.</summary>
public static class StepMethods
{
    /// <summary>No step was taken (the iteration converged or diverged, or no step was asked for yet).</summary>
    public const string None = "none";

    /// <summary>x₊ = x + α(G(x) − x) with a fixed α.</summary>
    public const string Damped = "damped";

    /// <summary>x₊ = x + ω(G(x) − x) with Aitken's dynamic ω.</summary>
    public const string Aitken = "aitken";

    /// <summary>An Anderson step that used at least one history column.</summary>
    public const string Anderson = "anderson";

    /// <summary>An Anderson step with an empty history (first step, after a restart or after dropping every column): x₊ = x + β(G(x) − x).</summary>
    public const string AndersonStart = "anderson-start";

    /// <summary>Anderson's safeguard: the residual grew, the history was reset and a damped step taken.</summary>
    public const string FallbackDamped = "fallback-damped";
}
