using System.Diagnostics;
using Mesh.Client.Launching;
using Mesh.Client.Managing;
using Mesh.Values;

namespace Mesh.Client.Tests;

/// <summary>Python kernels in their own environments: interpreter, venv, conda (through a fake conda).</summary>
public class PythonLauncherTests
{
    private static string RepoRoot => TestKernels.RepoRoot;

    private static string KernelVenv => TestKernels.KernelVenv;

    private static KernelLaunchContext Context(string id = "py") =>
        new(id, "/tmp/conn.json", new Dictionary<string, string?>(), null, "/tmp/py.log", 1 << 20, 2);

    private static KernelSpec Spec(string id, PythonLauncher launcher) => new()
    {
        Id = id,
        Launcher = launcher,
        HeartbeatInterval = TimeSpan.FromMilliseconds(500),
        StartupTimeout = TimeSpan.FromSeconds(30),
    };

    private static (int ExitCode, string Output) Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file, args) { RedirectStandardError = true, RedirectStandardOutput = true };
        using var p = Process.Start(psi)!;
        string output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, output);
    }

    [Fact]
    public async Task A_kernel_in_a_venv_has_packages_the_default_interpreter_lacks()
    {
        // The isolation this toolkit exists for: the machine's default python3 cannot import zmq,
        // the kernel's environment can, and .NET calls into it as if it were local.
        var defaultPython = PythonLauncher.FindOnPath("python3");
        Assert.NotNull(defaultPython);
        var (code, output) = Run(defaultPython!, "-c", "import zmq");
        Assert.True(code != 0, $"the default interpreter {defaultPython} can import zmq, so this machine cannot show isolation: {output}");
        Assert.Equal(0, Run(Path.Combine(KernelVenv, "bin", "python"), "-c", "import zmq, msgpack, numpy").ExitCode);

        await using var manager = new KernelManager();
        var kernel = await manager.StartAsync(Spec("py-venv", new PythonLauncher(PythonEnvironment.Venv(KernelVenv), "mesh_conformance_kernel")));
        Assert.Equal("python", kernel.Info["language"]);
        var rng = new Random(3);
        var big = new double[10_000_000];
        for (int i = 0; i < big.Length; i++) big[i] = rng.NextDouble();
        var echoed = await kernel.Client.CallAsync<double[]>("echo", Arguments.Of(big));
        Assert.True(big.AsSpan().SequenceEqual(echoed), "the 10^7-element array changed");
        var m = new double[,] { { 1, 2, 3 }, { 4, 5, 6 } };
        Assert.Equal(new double[,] { { 1, 4 }, { 2, 5 }, { 3, 6 } }, await kernel.Client.CallAsync<double[,]>("transpose", Arguments.Of(m)));
        var table = new Table().Add("TECHNOLOGY", new string?[] { "COAL", "GAS", null }).Add("VALUE", new[] { 1.5, 2.5, 3.5 });
        Assert.Equal(table, await kernel.Client.CallAsync<Table>("table_echo", Arguments.Of(table)));
    }

    [Fact]
    public async Task A_python_kernel_killed_mid_task_fails_the_call_at_once()
    {
        await using var manager = new KernelManager();
        var kernel = await manager.StartAsync(Spec("py-killed", new PythonLauncher(PythonEnvironment.Venv(KernelVenv), "mesh_conformance_kernel")));
        var call = kernel.Client.CallAsync<double>("sleep", 30.0);
        await Task.Delay(300);
        var sw = Stopwatch.StartNew();
        TestKernels.Kill(kernel.Pid, 9);
        var e = await Assert.ThrowsAsync<KernelLostException>(() => call);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(1), $"the call failed only after {sw.Elapsed}");
        Assert.Equal(9, e.Signal);
    }

    [Fact]
    public void Conda_by_name_runs_through_conda_run_and_honours_CONDA_EXE()
    {
        var fake = FakeConda();
        var previous = Environment.GetEnvironmentVariable("CONDA_EXE");
        try
        {
            Environment.SetEnvironmentVariable("CONDA_EXE", fake);
            var cmd = new PythonLauncher(PythonEnvironment.Conda("ogcore-env"), "ogmacro.kernel", "--verbose").BuildCommand(Context());
            Assert.Equal(fake, cmd.FileName);
            Assert.Equal(["run", "-n", "ogcore-env", "--no-capture-output", "python", "-u", "-m", "mesh", "ogmacro.kernel", "--verbose"], cmd.Arguments);
            Assert.Contains(Path.Combine(RepoRoot, "kernels", "python"), cmd.Environment!["PYTHONPATH"]!.Split(':'));
        }
        finally { Environment.SetEnvironmentVariable("CONDA_EXE", previous); }
    }

    [Fact]
    public void Conda_by_prefix_uses_the_prefix_interpreter_without_conda()
    {
        var cmd = new PythonLauncher(PythonEnvironment.Conda(KernelVenv), "mesh_conformance_kernel").BuildCommand(Context());
        Assert.Equal(Path.Combine(KernelVenv, "bin", "python"), cmd.FileName);
        Assert.Equal(["-u", "-m", "mesh", "mesh_conformance_kernel"], cmd.Arguments);
    }

    [Fact]
    public async Task A_kernel_starts_through_a_conda_found_on_PATH()
    {
        // No conda on these machines: a stand-in 'conda' that understands 'run -n NAME
        // --no-capture-output CMD...' is put first on PATH, and the kernel really runs through it.
        var fake = FakeConda();
        var path = Environment.GetEnvironmentVariable("PATH");
        var condaExe = Environment.GetEnvironmentVariable("CONDA_EXE");
        try
        {
            Environment.SetEnvironmentVariable("CONDA_EXE", null);
            Environment.SetEnvironmentVariable("PATH", Path.GetDirectoryName(fake) + ":" + path);
            await using var manager = new KernelManager();
            var kernel = await manager.StartAsync(Spec("py-conda", new PythonLauncher(PythonEnvironment.Conda("kernel-env"), "mesh_conformance_kernel")));
            Assert.Equal(5.0, await kernel.Client.CallAsync<double>("add", 2.0, 3.0));
            Assert.Contains(File.ReadAllLines(fake + ".calls"), l => l.StartsWith("run -n kernel-env --no-capture-output python -u -m mesh mesh_conformance_kernel"));
        }
        finally
        {
            Environment.SetEnvironmentVariable("PATH", path);
            Environment.SetEnvironmentVariable("CONDA_EXE", condaExe);
        }
    }

    [Fact]
    public async Task A_module_that_fails_to_import_is_a_clear_startup_error()
    {
        var dir = Directory.CreateTempSubdirectory("mesh-broken").FullName;
        var script = Path.Combine(dir, "broken_kernel.py");
        File.WriteAllText(script, "import mesh\nimport package_that_is_not_installed_anywhere\n");
        await using var manager = new KernelManager();
        var e = await Assert.ThrowsAsync<KernelStartupException>(() =>
            manager.StartAsync(Spec("py-broken", new PythonLauncher(PythonEnvironment.Venv(KernelVenv), script))));
        Assert.Equal(5, e.ExitCode);
        Assert.Contains(script, e.CommandLine);
        Assert.Contains(e.LogTail, l => l.Contains("package_that_is_not_installed_anywhere"));
    }

    [Fact]
    public async Task Missing_interpreters_and_environments_are_named_in_the_error()
    {
        await using var manager = new KernelManager();
        var venv = await Assert.ThrowsAsync<KernelStartupException>(() => manager.StartAsync(Spec("no-venv", new PythonLauncher(PythonEnvironment.Venv("/nonexistent/venv"), "m"))));
        Assert.Contains("/nonexistent/venv", venv.Message);
        var exe = await Assert.ThrowsAsync<KernelStartupException>(() => manager.StartAsync(Spec("no-exe", new PythonLauncher(PythonEnvironment.Executable("/nonexistent/python3"), "m"))));
        Assert.Contains("/nonexistent/python3", exe.Message);
        var conda = await Assert.ThrowsAsync<KernelStartupException>(() => manager.StartAsync(Spec("no-conda", new PythonLauncher(PythonEnvironment.Conda("/nonexistent/prefix"), "m"))));
        Assert.Contains("/nonexistent/prefix", conda.Message);
    }

    /// <summary>A stand-in conda: records its arguments and runs the command in the kernel venv.</summary>
    private static string FakeConda()
    {
        var dir = Directory.CreateTempSubdirectory("mesh-fake-conda").FullName;
        var conda = Path.Combine(dir, "conda");
        File.WriteAllText(conda, $$"""
            #!/bin/sh
            echo "$*" >> "$0.calls"
            [ "$1" = run ] || { echo "fake conda: only 'run' is supported" >&2; exit 2; }
            shift
            [ "$1" = -n ] || { echo "fake conda: expected -n NAME" >&2; exit 2; }
            shift 2
            [ "$1" = --no-capture-output ] && shift
            [ "$1" = python ] && shift
            exec "{{KernelVenv}}/bin/python" "$@"
            """.Replace("\r", ""));
        File.SetUnixFileMode(conda, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return conda;
    }
}
