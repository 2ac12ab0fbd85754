namespace OgClews.Etl.Reverse;

/// <summary>What the reverse pass scales.</summary>
public enum DemandBasis
{
    /// <summary>
    /// Base-year demand grown with the driver: D′[r,f,y] = D[r,f,y0] × (GDP_y / GDP_y0)^ε_f.
    /// The data's own demand path only supplies the base year (the formula of issue #7).
    /// </summary>
    BaseYear,

    /// <summary>
    /// The data's demand path scaled by the deviation from a reference GDP path (the <c>gdp_ref</c>
    /// column, the GDP the data's demand assumes): D′[r,f,y] = D[r,f,y] × (GDP_y / GDPref_y)^ε_f.
    /// </summary>
    BasePath,
}
