using Mesh.Client.Launching;
using Mesh.Client.Managing;

namespace Mesh.Conformance.Tests;

public sealed class NativeKernelFixture : KernelFixture
{
    /// <summary>The C kernel built by `make build` (cmake, Release).</summary>
    public static string Binary => Path.Combine(Kernels.RepoRoot, "kernels", "native", "glpk", "build", "mesh-glpk-kernel");

    public override KernelSpec CreateSpec(string id, int? maxConcurrency) => new()
    {
        Id = id,
        Launcher = new ExecutableLauncher(Binary),
        Environment = Kernels.WithConcurrency(null, maxConcurrency),
        HeartbeatInterval = Kernels.Heartbeat,
    };

    public override string FailErrorType => "ValueError";
}

/// <summary>The conformance cases against the native C kernel (kernels/native/glpk), for the endpoints it serves.</summary>
public sealed class NativeKernelConformance(NativeKernelFixture fixture) : KernelConformanceTests<NativeKernelFixture>(fixture);
