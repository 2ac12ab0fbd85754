namespace OgClews.Etl.Results;

/// <summary>How a result table was laid out where it came from.</summary>
public enum ResultLayout
{
    /// <summary>
    /// OSeMOSYS/otoole CSV: upper-case index columns (<c>REGION,TECHNOLOGY,YEAR</c>…), then <c>VALUE</c>.
    /// This is what models/energy/model.mod writes (GLPK quotes the symbolic values).
    /// </summary>
    Otoole,

    /// <summary>
    /// MUIO/MUIOGO CSV: lower-case short index columns (<c>r,t,f,e,l,m,y</c>…), then a value column
    /// named after the variable, e.g. <c>r,t,y,CapitalInvestment</c>.
    /// </summary>
    Muio,

    /// <summary>An in-memory <see cref="Mesh.Values.Table"/>, e.g. as returned by the GLPK kernel.</summary>
    Table,
}
