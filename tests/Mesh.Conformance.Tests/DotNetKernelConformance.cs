using Mesh.Client.Managing;

namespace Mesh.Conformance.Tests;

public sealed class DotNetKernelFixture : KernelFixture
{
    public override KernelSpec CreateSpec(string id, int? maxConcurrency) => Kernels.DotNet(id, maxConcurrency);
    public override string FailErrorType => "System.ArgumentException";
}

/// <summary>The conformance cases against the .NET kernel (tests/Mesh.TestKernel).</summary>
public sealed class DotNetKernelConformance(DotNetKernelFixture fixture) : KernelConformanceTests<DotNetKernelFixture>(fixture);
