namespace Mesh;

/// <summary>Base type of every exception Mesh throws.</summary>
public class MeshException : Exception
{
    /// <summary>Creates the exception.</summary>
    public MeshException(string message, Exception? inner = null) : base(message, inner) { }
}
