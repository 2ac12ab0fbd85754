using System.Collections.Concurrent;
using System.Reflection;
using Mesh.Client;
using Mesh.Values;

namespace Mesh.Proxy;

/// <summary>
/// Generated proxies for interfaces (<see cref="DispatchProxy"/>): methods returning Task, Task&lt;T&gt;,
/// ValueTask or ValueTask&lt;T&gt; become remote calls (<see cref="CancellationToken"/> parameters are
/// not sent); a result that is a reference becomes a typed proxy when T is an interface. Properties
/// block. If the interface extends <see cref="IAsyncDisposable"/>, DisposeAsync releases the reference.
/// </summary>
public class TypedProxy : DispatchProxy, IRemoteReference
{
    private ProxyClient _owner = null!;
    private RemoteReference _reference = null!;
    private static readonly ConcurrentDictionary<Type, MethodInfo> Converters = new();

    /// <inheritdoc/>
    public RemoteReference Reference => _reference;

    internal static T Create<T>(ProxyClient owner, RemoteReference reference) where T : class
    {
        if (!typeof(T).IsInterface) throw new ArgumentException($"{typeof(T).Name} is not an interface");
        var proxy = DispatchProxy.Create<T, TypedProxy>();
        var typed = (TypedProxy)(object)proxy;
        typed._owner = owner;
        typed._reference = reference;
        return proxy;
    }

    /// <inheritdoc/>
    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        ArgumentNullException.ThrowIfNull(targetMethod);
        args ??= [];
        if (targetMethod.Name == nameof(IAsyncDisposable.DisposeAsync) && args.Length == 0)
            return Release();
        if (targetMethod.IsSpecialName && targetMethod.Name.StartsWith("get_", StringComparison.Ordinal))
            return Convert(targetMethod.ReturnType, _owner.InvokeAsync("mesh.get_attr", Arguments.Of(this, targetMethod.Name[4..]), default).GetAwaiter().GetResult());
        if (targetMethod.IsSpecialName && targetMethod.Name.StartsWith("set_", StringComparison.Ordinal))
        {
            _owner.InvokeAsync("mesh.set_attr", Arguments.Of(this, targetMethod.Name[4..], args[0]), default).GetAwaiter().GetResult();
            return null;
        }
        var parameters = targetMethod.GetParameters();
        var ct = CancellationToken.None;
        var positional = new List<object?>();
        for (int i = 0; i < parameters.Length; i++)
        {
            if (parameters[i].ParameterType == typeof(CancellationToken)) ct = (CancellationToken)args[i]!;
            else positional.Add(args[i]);
        }
        var call = _owner.InvokeAsync("mesh.call_method",
            Arguments.Of(this, RemoteObject.StripAsync(targetMethod.Name), positional.ToArray(), new Dictionary<string, object?>()), ct);
        return Adapt(targetMethod.ReturnType, call);
    }

    private int _released;

    /// <summary>Releases the reference in the background if the proxy was never disposed (no I/O here).</summary>
    ~TypedProxy()
    {
        if (_owner is not null && Interlocked.Exchange(ref _released, 1) == 0) _owner.QueueRelease(_reference.ObjectId);
    }

    private async ValueTask Release()
    {
        if (Interlocked.Exchange(ref _released, 1) != 0) return;
        GC.SuppressFinalize(this);
        _owner.QueueRelease(_reference.ObjectId);
        await _owner.FlushReleasesAsync().ConfigureAwait(false);
    }

    /// <summary>Turns the Task&lt;object?&gt; of a call into what the interface method returns.</summary>
    private object? Adapt(Type returnType, Task<object?> call)
    {
        if (returnType == typeof(Task)) return call;
        if (returnType == typeof(ValueTask)) return new ValueTask(call);
        if (returnType.IsGenericType)
        {
            var def = returnType.GetGenericTypeDefinition();
            var t = returnType.GetGenericArguments()[0];
            if (def == typeof(Task<>)) return Converters.GetOrAdd(t, x => ConvertTaskMethod.MakeGenericMethod(x)).Invoke(this, [call]);
            if (def == typeof(ValueTask<>))
            {
                var task = Converters.GetOrAdd(t, x => ConvertTaskMethod.MakeGenericMethod(x)).Invoke(this, [call])!;
                return Activator.CreateInstance(returnType, task);
            }
        }
        return Convert(returnType, call.GetAwaiter().GetResult());
    }

    private static readonly MethodInfo ConvertTaskMethod = typeof(TypedProxy).GetMethod(nameof(ConvertTask), BindingFlags.NonPublic | BindingFlags.Instance)!;

    private async Task<T> ConvertTask<T>(Task<object?> call) => (T)Convert(typeof(T), await call.ConfigureAwait(false))!;

    private object? Convert(Type type, object? value)
    {
        if (value is RemoteObject remote)
        {
            if (type.IsInterface)
            {
                remote.TransferOwnership(); // the typed proxy takes over the reference
                return CreateMethod.MakeGenericMethod(type).Invoke(null, [_owner, remote.Reference]);
            }
            if (type == typeof(object)) return remote;
            throw new InvalidCastException($"the remote method returned a reference ({remote.Reference.TypeName}), which cannot become a {type.Name}; declare an interface");
        }
        return ValueConverter.ConvertTo(value, type);
    }

    private static readonly MethodInfo CreateMethod = typeof(TypedProxy).GetMethod(nameof(Create), BindingFlags.NonPublic | BindingFlags.Static)!;
}
