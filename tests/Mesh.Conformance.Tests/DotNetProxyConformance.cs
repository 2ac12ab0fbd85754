namespace Mesh.Conformance.Tests;

/// <summary>The proxy cases against the .NET kernel.</summary>
public sealed class DotNetProxyConformance(DotNetKernelFixture fixture) : ProxyConformanceTests<DotNetKernelFixture>(fixture);
