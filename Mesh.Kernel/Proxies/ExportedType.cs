namespace Mesh.Kernel.Proxies;

/// <summary>An exported type: calling its reference constructs an instance.</summary>
internal sealed record ExportedType(Type Type);
