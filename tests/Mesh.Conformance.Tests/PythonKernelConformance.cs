using Mesh.Client.Launching;
using Mesh.Client.Managing;

namespace Mesh.Conformance.Tests;

public sealed class PythonKernelFixture : KernelFixture
{
    public override KernelSpec CreateSpec(string id, int? maxConcurrency) => new()
    {
        Id = id,
        Launcher = new PythonLauncher(PythonEnvironment.Venv(Path.Combine(Kernels.RepoRoot, ".venv", "kernel")), "mesh_conformance_kernel"),
        Environment = Kernels.WithConcurrency(null, maxConcurrency),
        HeartbeatInterval = Kernels.Heartbeat,
    };

    public override string FailErrorType => "ValueError";
}

/// <summary>The conformance cases against the Python kernel (kernels/python), in the project's kernel venv.</summary>
public sealed class PythonKernelConformance(PythonKernelFixture fixture) : KernelConformanceTests<PythonKernelFixture>(fixture);
