namespace OgClews.Coupling.Orchestration;

/// <summary>How the relative residual of G(x) − x is measured (ε is the residual floor).</summary>
public enum ResidualNorm
{
    /// <summary>
    /// max_i |G_i − x_i| / max(|G_i|, ε_i), ε_i the floor of component i's block: every component must
    /// be relatively converged, whatever the scale of its path. The default.
    /// </summary>
    Componentwise,

    /// <summary>
    /// max over blocks b of ‖G_b − x_b‖∞ / max(‖G_b‖∞, ε_b): each path relative to its own size, so a
    /// small path (an interest rate) is not swamped by a large one (GDP), while components near zero
    /// within a path are measured against the path's size.
    /// </summary>
    Blockwise,

    /// <summary>‖G − x‖∞ / max(‖G‖∞, ε) over the whole vector, ε the options' floor.</summary>
    Normwise,
}
