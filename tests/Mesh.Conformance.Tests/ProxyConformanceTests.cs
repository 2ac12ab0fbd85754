using System.Diagnostics;
using Mesh.Client;
using Mesh.Client.Managing;
using Mesh.Protocol;
using Mesh.Proxy;
using Mesh.Values;

namespace Mesh.Conformance.Tests;

using Client = Mesh.Client.Client;

public interface IPolicy : IAsyncDisposable
{
    double Rate { get; set; }
}

public interface ICounter : IAsyncDisposable
{
    Task<long> AddAsync(long n, CancellationToken cancellationToken = default);
    Task<Dictionary<string, object?>> SnapshotAsync();
    long Value { get; set; }
}

/// <summary>
/// Proxy cases (docs/conformance.md, proxy conformance objects) against every kernel that
/// supports proxies, driven through Mesh.Proxy's dynamic and typed proxies.
/// </summary>
public abstract class ProxyConformanceTests<TFixture>(TFixture fixture) : IClassFixture<TFixture> where TFixture : KernelFixture
{
    protected Client Client => fixture.Concurrent.Client;

    [Fact]
    public async Task Remote_objects_are_created_called_and_passed_as_references()
    {
        await using var proxies = new ProxyClient(Client);
        dynamic Policy = await proxies.GetRemoteAsync("Policy");
        dynamic Records = await proxies.GetRemoteAsync("Records");
        dynamic Calculator = await proxies.GetRemoteAsync("Calculator");
        dynamic policy = await Policy(0.25);
        dynamic records = await Records(new[] { 10.0, 20.0, 30.0 });
        dynamic byName = await Calculator(policy: policy, records: records);
        dynamic mixed = await Calculator(policy, records: records);
        Assert.Equal(15.0, (double)await byName.Run());
        Assert.Equal(15.0, (double)await mixed.Run());

        // The same Policy object comes back by reference: changing it changes both calculators.
        dynamic samePolicy = await byName.policy;
        Assert.Equal(((RemoteObject)policy).Reference.ObjectId, ((RemoteObject)samePolicy).Reference.ObjectId);
        samePolicy.rate = 0.5;
        Assert.Equal(30.0, (double)await mixed.Run());
        Assert.Equal(0.5, (double)await policy.rate);

        // Plain data comes back by value.
        var values = (NDArray)await records.values;
        Assert.Equal(new[] { 10.0, 20.0, 30.0 }, values.ToFlatArray<double>());
        foreach (var o in new[] { policy, records, byName, mixed, samePolicy, Policy, Records, Calculator }) await ((RemoteObject)o).DisposeAsync();
    }

    [Fact]
    public async Task Attributes_items_snapshots_and_deref()
    {
        await using var proxies = new ProxyClient(Client);
        dynamic Counter = await proxies.GetRemoteAsync("Counter");
        dynamic counter = await Counter(5);
        Assert.Equal(8L, (long)await counter.add(3));
        Assert.Equal(10L, (long)await counter.Add(2));
        counter.value = 100;
        Assert.Equal(100L, (long)await counter.value);
        var snapshot = (Dictionary<string, object?>)await counter.snapshot();
        Assert.Equal(100L, Convert.ToInt64(snapshot.First(kv => kv.Key.Equals("value", StringComparison.OrdinalIgnoreCase)).Value));

        dynamic store = await proxies.GetRemoteAsync("store");
        store["table"] = new Table().Add("YEAR", new long[] { 2025, 2030 }).Add("VALUE", new[] { 1.5, 2.5 });
        store["n"] = 7L;
        Assert.Equal(7L, (long)await store["n"]);
        var table = (Table)await store["table"];
        Assert.Equal(new[] { 1.5, 2.5 }, table.Get<double>("VALUE"));
        var copy = await ((RemoteObject)store).DerefAsync<Dictionary<string, object?>>();
        Assert.Equal(7L, copy["n"]);
        var e = await Assert.ThrowsAsync<RemoteTaskException>(() => (Task<object?>)store["missing"]);
        Assert.Equal(ErrorCode.ApplicationError, e.Code);
        await ((RemoteObject)counter).DisposeAsync();
    }

    [Fact]
    public async Task Typed_proxies_call_through_interfaces()
    {
        await using var proxies = new ProxyClient(Client);
        dynamic Counter = await proxies.GetRemoteAsync("Counter");
        var raw = (RemoteObject)await Counter(1);
        var id = raw.Reference;
        await using var counter = proxies.As<ICounter>(raw);
        Assert.Equal(3L, await counter.AddAsync(2));
        counter.Value = 40;
        Assert.Equal(40L, counter.Value);
        Assert.Equal(id.ObjectId, ((IRemoteReference)counter).Reference.ObjectId);
    }

    [Fact]
    public async Task A_released_reference_fails_clearly_and_remote_exceptions_keep_their_traceback()
    {
        await using var proxies = new ProxyClient(Client);
        dynamic Counter = await proxies.GetRemoteAsync("Counter");
        dynamic counter = await Counter(0);
        var e = await Assert.ThrowsAsync<RemoteTaskException>(() => (Task<object?>)counter.fail("bad input"));
        Assert.Equal(ErrorCode.ApplicationError, e.Code);
        Assert.Contains("bad input", e.Message);
        Assert.NotEmpty(e.RemoteTraceback);

        // Release the only reference anyone holds, then use it.
        await ((RemoteObject)counter).DisposeAsync();
        var stale = new object?[] { ((RemoteObject)counter).Reference };
        var lost = await Assert.ThrowsAsync<RemoteTaskException>(() => Client.CallAsync("mesh.call_method", Arguments.Of(stale[0], "add", new object?[] { 1L }, new Dictionary<string, object?>())));
        Assert.Equal(ErrorCode.ProxyUnknownObject, lost.Code);
        Assert.Contains(((RemoteObject)counter).Reference.ObjectId.ToString(), lost.Message);
    }

    [Fact]
    public async Task Anything_outside_the_allow_list_is_refused()
    {
        await using var proxies = new ProxyClient(Client);
        dynamic Counter = await proxies.GetRemoteAsync("Counter");
        dynamic counter = await Counter(0);
        dynamic Policy = await proxies.GetRemoteAsync("Policy");
        dynamic policy = await Policy(0.1);
        var target = ((RemoteObject)counter).Reference;
        async Task Expect(ErrorCode code, string op, Arguments args)
        {
            var e = await Assert.ThrowsAsync<RemoteTaskException>(() => Client.CallAsync(op, args));
            Assert.True(e.Code == code, $"{op} {string.Join(", ", args.Positional)}: expected {code}, got {e.Code}: {e.Message}");
        }
        var none = new Dictionary<string, object?>();
        await Expect(ErrorCode.ProxyNotExported, "mesh.root", Arguments.Of("os"));
        await Expect(ErrorCode.ProxyNotExported, "mesh.root", Arguments.Of("System.IO.File"));
        await Expect(ErrorCode.ProxyForbidden, "mesh.get_attr", Arguments.Of(target, "__class__"));
        await Expect(ErrorCode.ProxyForbidden, "mesh.get_attr", Arguments.Of(target, "__dict__"));
        await Expect(ErrorCode.ProxyForbidden, "mesh.call_method", Arguments.Of(target, "__reduce__", Array.Empty<object?>(), none));
        await Expect(ErrorCode.ProxyForbidden, "mesh.call_method", Arguments.Of(target, "GetType", Array.Empty<object?>(), none));
        await Expect(ErrorCode.ProxyForbidden, "mesh.get_attr", Arguments.Of(((RemoteObject)policy).Reference, "__init__"));
        await Expect(ErrorCode.ProxyForbidden, "mesh.call_method", Arguments.Of(target, "machinery", Array.Empty<object?>(), none));
        await Expect(ErrorCode.ProxyUnknownMember, "mesh.call_method", Arguments.Of(target, "no_such_method", Array.Empty<object?>(), none));
    }

    [Fact]
    public async Task A_hundred_thousand_proxies_created_and_released_leave_the_table_empty()
    {
        await using var proxies = new ProxyClient(Client);
        var (before, _) = await proxies.ObjectCountAsync();
        var counterType = (RemoteObject)await proxies.GetRemoteAsync("Counter");
        const int total = 100_000, window = 2_000;
        for (int start = 0; start < total; start += window)
        {
            var created = await Task.WhenAll(Enumerable.Range(start, window).Select(i => counterType.CallAsync(Arguments.Of((long)i))));
            await proxies.ReleaseAsync(created.Cast<RemoteObject>());
        }
        await counterType.DisposeAsync();
        await proxies.FlushReleasesAsync();
        var (after, _) = await proxies.ObjectCountAsync();
        Assert.Equal(before, after);
    }
}

