namespace Mesh.Conformance.Tests;

/// <summary>The proxy cases against the Python kernel.</summary>
public sealed class PythonProxyConformance(PythonKernelFixture fixture) : ProxyConformanceTests<PythonKernelFixture>(fixture);
