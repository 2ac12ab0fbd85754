using Mesh.Client;
using Mesh.Client.Managing;

namespace Mesh.Conformance.Tests;

/// <summary>
/// Starts one kernel implementation twice: a concurrent kernel for most cases and a serial one
/// (<c>MESH_MAX_CONCURRENCY=1</c>) for ordering and cancellation cases.
/// </summary>
public abstract class KernelFixture : IAsyncLifetime
{
    private KernelManager? _manager;

    /// <summary>The launch spec of this implementation's conformance kernel.</summary>
    public abstract KernelSpec CreateSpec(string id, int? maxConcurrency);

    /// <summary>The remote error type the <c>fail</c> endpoint raises.</summary>
    public abstract string FailErrorType { get; }

    public KernelHandle Concurrent { get; private set; } = null!;
    public KernelHandle Serial { get; private set; } = null!;
    public IReadOnlySet<string> Endpoints { get; private set; } = new HashSet<string>();

    public async Task InitializeAsync()
    {
        _manager = new KernelManager();
        var kernels = await _manager.StartAllAsync([CreateSpec("conformance", 4), CreateSpec("conformance-serial", 1)]);
        (Concurrent, Serial) = (kernels[0], kernels[1]);
        var info = await Concurrent.Client.KernelInfoAsync();
        Endpoints = ((object?[])info["endpoints"]!).Select(e => (string)((Dictionary<string, object?>)e!)["name"]!).ToHashSet();
    }

    public async Task DisposeAsync()
    {
        if (_manager is not null) await _manager.DisposeAsync();
    }
}
