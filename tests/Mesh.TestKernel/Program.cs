using Mesh.Kernel;
using Mesh.Values;

// Deliberate faults, as jupyter_client keeps broken kernels beside its tests.
switch (Environment.GetEnvironmentVariable("MESH_TEST_FAULT"))
{
    case "crash-at-startup":
        Console.Error.WriteLine("test kernel: failing at startup on purpose (MESH_TEST_FAULT=crash-at-startup)");
        return 17;
    case "hold-references":
        // A client process for lease tests: takes N references to new Counters, then waits to be killed.
        {
            var client = Mesh.Client.Client.Connect(args[0]);
            var counterType = await client.CallAsync("mesh.root", Mesh.Client.Arguments.Of("Counter"));
            int n = int.Parse(args[1]);
            await Task.WhenAll(Enumerable.Range(0, n).Select(i => client.CallAsync("mesh.call",
                Mesh.Client.Arguments.Of(counterType, new object?[] { (long)i }, new Dictionary<string, object?>()))));
            Console.WriteLine("holding");
            await Task.Delay(Timeout.Infinite);
            return 0;
        }
    case "hang-at-startup":
        Console.Error.WriteLine("test kernel: hanging at startup on purpose");
        await Task.Delay(Timeout.Infinite);
        return 0;
}

var kernel = MeshKernel.CreateBuilder(args).Build();
long orderCounter = -1;

kernel.Map("echo", (object? value) => value, "returns its argument unchanged");
kernel.MapInline("echo_inline", (object? value) => value, "returns its argument unchanged, on the kernel's I/O thread");
kernel.Map("add", (double a, double b) => a + b);
kernel.Map("concat", (string a, string b = "-") => a + b);
kernel.Map("sum_array", (NDArray x) =>
{
    double s = 0;
    foreach (var v in x.ToFlatArray<double>()) s += v;
    return s;
});
kernel.Map("scale", (NDArray x, double factor) =>
{
    var src = x.ToFlatArray<double>();
    var dst = new double[src.Length];
    for (int i = 0; i < src.Length; i++) dst[i] = src[i] * factor;
    return new NDArray(dst, x.Shape);
});
kernel.Map("transpose", (double[,] m) =>
{
    int r = m.GetLength(0), c = m.GetLength(1);
    var t = new double[c, r];
    for (int i = 0; i < r; i++)
        for (int j = 0; j < c; j++) t[j, i] = m[i, j];
    return t;
});
kernel.Map("make_table", (int n) =>
{
    var ids = new long[n];
    var values = new double[n];
    var names = new string?[n];
    for (int i = 0; i < n; i++) { ids[i] = i; values[i] = i * 0.5; names[i] = $"row{i}"; }
    return new Table().Add("id", ids).Add("value", values).Add("name", names);
});
kernel.Map("table_echo", (Table t) => t);
kernel.Map("fail", (string message) => { throw new ArgumentException(message); });
kernel.Map("sleep", async (double seconds, CancellationToken ct) =>
{
    await Task.Delay(TimeSpan.FromSeconds(seconds), ct);
    return seconds;
});
kernel.Map("progress", (int steps, IProgress<long> progress) =>
{
    for (int i = 1; i <= steps; i++) progress.Report(i);
    return steps;
});
kernel.Map("log", (string[] lines) =>
{
    foreach (var line in lines) Console.WriteLine(line);
    return lines.Length;
});
kernel.Map("order", (object? tag) => new object?[] { tag, Interlocked.Increment(ref orderCounter) });
kernel.Map("pid", () => Environment.ProcessId);
// Test-only: burn CPU without honouring cancellation (health must still answer).
kernel.Map("spin", (double seconds) =>
{
    var end = DateTime.UtcNow.AddSeconds(seconds);
    long n = 0;
    while (DateTime.UtcNow < end) n++;
    return n;
});

// Proxy conformance objects (docs/conformance.md).
kernel.Export<Counter>("Counter");
kernel.Export<Policy>("Policy");
kernel.Export<Records>("Records");
kernel.Export<Calculator>("Calculator");
kernel.Export("store", new Dictionary<string, object?>());

return await kernel.RunAsync();

public sealed class Counter(long start = 0)
{
    public long Value { get; set; } = start;
    public long Add(long n) => Value += n;
    public Dictionary<string, object?> Snapshot() => new() { ["value"] = Value };
    public void Fail(string message) => throw new ArgumentException(message);
    public Type Machinery() => typeof(Counter); // must be refused: types are never handed out
}

public sealed class Policy(double rate)
{
    public double Rate { get; set; } = rate;
}

public sealed class Records(double[] values)
{
    public double[] Values { get; } = values;
    public double Total()
    {
        double s = 0;
        foreach (var v in Values) s += v;
        return s;
    }
}

public sealed class Calculator(Policy policy, Records records)
{
    public Policy Policy { get; } = policy;
    public double Run() => Policy.Rate * records.Total();
}
