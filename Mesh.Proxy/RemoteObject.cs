using System.Dynamic;
using Mesh.Client;
using Mesh.Values;

namespace Mesh.Proxy;

/// <summary>
/// A dynamic proxy to an object in a kernel. Method calls, property reads, indexer reads and calls
/// of the object itself return awaitable tasks (<c>await obj.Solve()</c>, <c>await obj.Status</c>);
/// property and indexer writes block until the kernel has applied them (use
/// <see cref="SetAsync"/> to stay asynchronous). Passing it as an argument passes the reference.
/// </summary>
public sealed class RemoteObject : DynamicObject, IRemoteReference, IAsyncDisposable
{
    private readonly ProxyClient _owner;
    private int _released;

    internal RemoteObject(ProxyClient owner, RemoteReference reference)
    {
        _owner = owner;
        Reference = reference;
    }

    /// <summary>Releases the reference in the background if the proxy was never disposed.</summary>
    ~RemoteObject()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0) _owner.QueueRelease(Reference.ObjectId);
    }

    /// <inheritdoc/>
    public RemoteReference Reference { get; }

    /// <summary>Calls a method by name.</summary>
    public Task<object?> CallMethodAsync(string name, Arguments arguments, CancellationToken cancellationToken = default) =>
        _owner.InvokeAsync("mesh.call_method", Arguments.Of(this, name, arguments.Positional, arguments.Named), cancellationToken);

    /// <summary>Calls the object itself (constructs an instance of an exported type).</summary>
    public Task<object?> CallAsync(Arguments arguments, CancellationToken cancellationToken = default) =>
        _owner.InvokeAsync("mesh.call", Arguments.Of(this, arguments.Positional, arguments.Named), cancellationToken);

    /// <summary>Reads a property.</summary>
    public Task<object?> GetAsync(string name, CancellationToken cancellationToken = default) =>
        _owner.InvokeAsync("mesh.get_attr", Arguments.Of(this, name), cancellationToken);

    /// <summary>Writes a property.</summary>
    public Task SetAsync(string name, object? value, CancellationToken cancellationToken = default) =>
        _owner.InvokeAsync("mesh.set_attr", Arguments.Of(this, name, value), cancellationToken);

    /// <summary>Reads an item (indexer).</summary>
    public Task<object?> GetItemAsync(object? key, CancellationToken cancellationToken = default) =>
        _owner.InvokeAsync("mesh.get_item", Arguments.Of(this, key), cancellationToken);

    /// <summary>Writes an item (indexer).</summary>
    public Task SetItemAsync(object? key, object? value, CancellationToken cancellationToken = default) =>
        _owner.InvokeAsync("mesh.set_item", Arguments.Of(this, key, value), cancellationToken);

    /// <summary>Copies the object's value (plain data only).</summary>
    public async Task<T> DerefAsync<T>(CancellationToken cancellationToken = default) =>
        ValueConverter.ConvertTo<T>(await _owner.InvokeAsync("mesh.deref", Arguments.Of(this), cancellationToken).ConfigureAwait(false));

    /// <summary>Queues this proxy's release without sending it (batched by the caller).</summary>
    internal void MarkReleased(ProxyClient owner)
    {
        if (Interlocked.Exchange(ref _released, 1) != 0) return;
        GC.SuppressFinalize(this);
        owner.QueueRelease(Reference.ObjectId);
    }

    /// <summary>Hands the reference to another proxy: this one will neither release nor finalize it.</summary>
    internal void TransferOwnership()
    {
        if (Interlocked.Exchange(ref _released, 1) != 0) throw new ObjectDisposedException(ToString(), "the reference was already released");
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases the reference now.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _released, 1) != 0) return;
        GC.SuppressFinalize(this);
        _owner.QueueRelease(Reference.ObjectId);
        await _owner.FlushReleasesAsync().ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public override bool TryInvokeMember(InvokeMemberBinder binder, object?[]? args, out object? result)
    {
        result = CallMethodAsync(StripAsync(binder.Name), Split(binder.CallInfo, args ?? []));
        return true;
    }

    /// <inheritdoc/>
    public override bool TryInvoke(InvokeBinder binder, object?[]? args, out object? result)
    {
        result = CallAsync(Split(binder.CallInfo, args ?? []));
        return true;
    }

    /// <inheritdoc/>
    public override bool TryGetMember(GetMemberBinder binder, out object? result)
    {
        result = GetAsync(binder.Name);
        return true;
    }

    /// <inheritdoc/>
    public override bool TrySetMember(SetMemberBinder binder, object? value)
    {
        SetAsync(binder.Name, value).GetAwaiter().GetResult();
        return true;
    }

    /// <inheritdoc/>
    public override bool TryGetIndex(GetIndexBinder binder, object[] indexes, out object? result)
    {
        result = GetItemAsync(indexes.Single());
        return true;
    }

    /// <inheritdoc/>
    public override bool TrySetIndex(SetIndexBinder binder, object[] indexes, object? value)
    {
        SetItemAsync(indexes.Single(), value).GetAwaiter().GetResult();
        return true;
    }

    /// <inheritdoc/>
    public override string ToString() => $"RemoteObject({Reference.TypeName} #{Reference.ObjectId} on {Reference.KernelId})";

    internal static string StripAsync(string name) => name.Length > 5 && name.EndsWith("Async", StringComparison.Ordinal) ? name[..^5] : name;

    /// <summary>C# named arguments (<c>f(1, rate: 2)</c>) arrive as the last N values with names.</summary>
    private static Arguments Split(CallInfo info, object?[] args)
    {
        int named = info.ArgumentNames.Count;
        var result = Arguments.Of(args[..(args.Length - named)]);
        for (int i = 0; i < named; i++) result = result.With(info.ArgumentNames[i], args[args.Length - named + i]);
        return result;
    }
}
