using System.Diagnostics;
using Mesh.Client.Launching;
using Mesh.Client.Managing;
using Mesh.Protocol;

namespace Mesh.Client.Tests;

public class ParentWatchTests
{
    /// <summary>
    /// The test plays the manager by hand, but names a stand-in process (<c>sleep</c>) as the
    /// kernel's parent: when that process dies the kernel must exit by itself with code 4.
    /// </summary>
    [Fact]
    public async Task A_kernel_exits_with_code_4_when_its_manager_process_dies()
    {
        using var standIn = Process.Start("sleep", "60");
        using var registration = new RegistrationServer();
        var dir = Directory.CreateTempSubdirectory("mesh-parent-test").FullName;
        var info = new ConnectionInfo
        {
            KernelId = "orphan",
            Key = Signer.NewKey(),
            Registration = registration.Address,
            ParentPid = standIn.Id,
        };
        var file = Path.Combine(dir, "kernel.json");
        info.Write(file);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        var registered = registration.Expect("orphan", info.Key);
        var context = new KernelLaunchContext("orphan", file, new Dictionary<string, string?>(), null, Path.Combine(dir, "orphan.log"), 1 << 20, 2);
        using var kernel = await new DotNetLauncher(TestKernels.Dll).LaunchAsync(context, CancellationToken.None);
        await registered.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.False(kernel.Exited.IsCompleted);

        standIn.Kill();
        await kernel.Exited.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(4, kernel.ExitCode);
    }
}
