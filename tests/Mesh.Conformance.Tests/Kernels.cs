using Mesh.Client.Launching;
using Mesh.Client.Managing;

namespace Mesh.Conformance.Tests;

/// <summary>Launch specs for each kernel implementation's conformance kernel.</summary>
public static class Kernels
{
    /// <summary>
    /// The heartbeat of every conformance kernel: the product default (a kernel counts as lost
    /// after two missed replies, 2.5 s). 500 ms was too tight for CI: with the three kernel
    /// classes running in parallel on two cores, the .NET and Python 10 000-call storms together
    /// delayed a health reply past 1.25 s in about one run of four (2026-12-07).
    /// </summary>
    public static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(1);

    /// <summary>The repository root (found by walking up to OgClews.sln).</summary>
    public static string RepoRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "OgClews.sln"))) return dir.FullName;
            throw new DirectoryNotFoundException("OgClews.sln not found above " + AppContext.BaseDirectory);
        }
    }

    public static KernelSpec DotNet(string id, int? maxConcurrency = null, IReadOnlyDictionary<string, string?>? env = null) => new()
    {
        Id = id,
        Launcher = new DotNetLauncher(Path.Combine(AppContext.BaseDirectory, "testkernel", "Mesh.TestKernel.dll")),
        Environment = WithConcurrency(env, maxConcurrency),
        HeartbeatInterval = Kernels.Heartbeat,
    };

    public static Dictionary<string, string?> WithConcurrency(IReadOnlyDictionary<string, string?>? env, int? maxConcurrency)
    {
        var e = env is null ? new Dictionary<string, string?>() : new Dictionary<string, string?>(env);
        if (maxConcurrency is { } n) e["MESH_MAX_CONCURRENCY"] = n.ToString();
        return e;
    }
}
