using System.Runtime.InteropServices;
using Mesh.Client.Launching;
using Mesh.Client.Managing;

namespace Mesh.Client.Tests;

internal static partial class TestKernels
{
    public static string Dll => Path.Combine(AppContext.BaseDirectory, "testkernel", "Mesh.TestKernel.dll");

    /// <summary>The repository root (the folder holding OgClews.sln).</summary>
    public static string RepoRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "OgClews.sln"))) return dir.FullName;
            throw new DirectoryNotFoundException("OgClews.sln not found above " + AppContext.BaseDirectory);
        }
    }

    /// <summary>The project's Python kernel venv (made by scripts/python-env.sh).</summary>
    public static string KernelVenv => Path.Combine(RepoRoot, ".venv", "kernel");

    public static KernelSpec Spec(string id, int maxConcurrency = 2, string? fault = null, RestartPolicy? restart = null, TimeSpan? startupTimeout = null,
        IReadOnlyDictionary<string, string?>? environment = null) => new()
    {
        Id = id,
        Launcher = new DotNetLauncher(Dll),
        Environment = new Dictionary<string, string?>(environment ?? new Dictionary<string, string?>())
        {
            ["MESH_MAX_CONCURRENCY"] = maxConcurrency.ToString(),
            ["MESH_TEST_FAULT"] = fault,
        },
        HeartbeatInterval = TimeSpan.FromMilliseconds(500),
        Restart = restart ?? RestartPolicy.Default,
        StartupTimeout = startupTimeout ?? TimeSpan.FromSeconds(30),
    };

    /// <summary>True if a process with this pid exists (zombies included: /proc/pid stays until reaped).</summary>
    public static bool ProcessExists(int pid) => Directory.Exists($"/proc/{pid}");

    public static void Kill(int pid, int signal) => kill(pid, signal);

    [LibraryImport("libc")]
    private static partial int kill(int pid, int sig);
}
