namespace Mesh.Client.Connection;

/// <summary>The three kernel ports.</summary>
internal enum KernelPort { Health, Submit, Get }
