using System.Diagnostics;
using Mesh.Client.Managing;
using Mesh.Protocol;

namespace Mesh.Client.Tests;

/// <summary>Which transport the manager gives kernels, and where their ipc sockets live.</summary>
public class TransportTests
{
    [Fact]
    public async Task Kernels_get_unix_sockets_in_the_managers_private_run_folder_by_default()
    {
        await using var manager = new KernelManager();
        var kernel = await manager.StartAsync(TestKernels.Spec("ipc-default"));
        var info = kernel.ConnectionInfo;
        foreach (var address in new[] { info.Health, info.Submit, info.Get })
        {
            Assert.StartsWith("ipc://", address);
            string path = address!["ipc://".Length..];
            Assert.Equal(manager.IpcDirectory, Path.GetDirectoryName(path));
            Assert.True(File.Exists(path), $"no socket file at {path}");
        }
        // Only the owner may enter the folder, so only the owner can connect.
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(manager.IpcDirectory));
        Assert.Equal(5.0, await kernel.Client.CallAsync<double>("add", 2.0, 3.0));
    }

    [Fact]
    public async Task A_run_folder_too_long_for_socket_names_gets_a_short_ipc_folder_removed_on_dispose()
    {
        string runDir = Path.Combine(Path.GetTempPath(), "mesh-transport-test-" + new string('r', 100));
        string ipcDir;
        try
        {
            await using (var manager = new KernelManager(new KernelManagerOptions { RuntimeDirectory = runDir }))
            {
                var kernel = await manager.StartAsync(TestKernels.Spec("long-run-dir"));
                ipcDir = manager.IpcDirectory;
                Assert.NotEqual(runDir, ipcDir);
                Assert.True(ipcDir.Length <= KernelManager.MaxIpcDirLength, ipcDir);
                Assert.StartsWith($"ipc://{ipcDir}/", kernel.ConnectionInfo.Submit);
                Assert.Equal(5.0, await kernel.Client.CallAsync<double>("add", 2.0, 3.0));
            }
            Assert.False(Directory.Exists(ipcDir), $"{ipcDir} was left behind");
        }
        finally
        {
            Directory.Delete(runDir, recursive: true);
        }
    }

    /// <summary>
    /// The .NET client and kernel use managed ZMTP sockets for submit and get unless
    /// MESH_SOCKETS=libzmq; either end may use either (the wire is ZMTP both ways). The client
    /// reads the variable when it opens its sockets, the kernel from its environment.
    /// </summary>
    [Theory]
    [InlineData("managed", "libzmq")]
    [InlineData("libzmq", "managed")]
    [InlineData("libzmq", "libzmq")]
    public async Task Managed_and_libzmq_sockets_interoperate_both_ways(string client, string kernel)
    {
        await using var manager = new KernelManager();
        KernelHandle handle;
        string? before = Environment.GetEnvironmentVariable(Mesh.Transport.MessageSockets.Variable);
        Environment.SetEnvironmentVariable(Mesh.Transport.MessageSockets.Variable, client);
        try
        {
            handle = await manager.StartAsync(TestKernels.Spec($"sockets-{client}-{kernel}") with
            {
                Environment = new Dictionary<string, string?> { [Mesh.Transport.MessageSockets.Variable] = kernel },
            });
        }
        finally { Environment.SetEnvironmentVariable(Mesh.Transport.MessageSockets.Variable, before); }
        Assert.Equal(5.0, await handle.Client.CallAsync<double>("add", 2.0, 3.0));
        var big = Enumerable.Range(0, 1 << 17).Select(i => i * 0.5).ToArray(); // 1 MiB: raw buffer frames
        Assert.Equal(big, await handle.Client.CallAsync<double[]>("echo", big));
    }

    [Fact]
    public async Task An_unknown_transport_is_refused_by_name()
    {
        await using var manager = new KernelManager();
        var e = await Assert.ThrowsAsync<ArgumentException>(() => manager.StartAsync(TestKernels.Spec("udp") with { Transport = "udp" }));
        Assert.Contains("unknown transport 'udp'", e.Message);
        Assert.Empty(manager.Kernels);
    }

    [Fact]
    public async Task A_kernel_given_an_ipc_folder_too_long_for_a_socket_path_says_so_and_exits()
    {
        // Another manager (any language) may hand a kernel a long ipc_dir; the kernel must name the
        // problem instead of failing inside libzmq with "File name too long".
        string dir = Directory.CreateTempSubdirectory("mesh-long-ipc-").FullName;
        string longDir = Path.Combine(dir, new string('d', 90));
        Directory.CreateDirectory(longDir);
        try
        {
            string connectionFile = Path.Combine(dir, "kernel.json");
            new ConnectionInfo
            {
                KernelId = "long-ipc", Key = Signer.NewKey(), Transport = "ipc", IpcDir = longDir,
                Registration = "tcp://127.0.0.1:9", ParentPid = Environment.ProcessId,
            }.Write(connectionFile);
            var psi = new ProcessStartInfo("dotnet", [TestKernels.Dll]) { RedirectStandardOutput = true, RedirectStandardError = true };
            psi.Environment["MESH_CONNECTION_FILE"] = connectionFile;
            using var process = Process.Start(psi)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await process.WaitForExitAsync(timeout.Token);
            string output = await stdout + await stderr;
            Assert.NotEqual(0, process.ExitCode);
            Assert.Contains("longer than the 107 a Unix socket allows", output);
            Assert.Contains("shorter ipc_dir", output);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
