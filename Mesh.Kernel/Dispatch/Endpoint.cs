using System.Linq.Expressions;
using System.Reflection;
using Mesh.Values;

namespace Mesh.Kernel.Dispatch;

/// <summary>
/// A mapped handler and how to bind wire arguments to its parameters. Parameters of type
/// <see cref="CancellationToken"/>, <see cref="IProgress{T}"/> and <see cref="TaskContext"/> are
/// supplied by the kernel; every other parameter is bound from the call's positional arguments
/// first and then its named arguments.
/// </summary>
internal sealed class Endpoint
{
    private readonly ParameterInfo[] _parameters;
    private readonly ParameterKind[] _kinds;
    private readonly string[] _wireNames;
    private readonly Func<object?, Task<object?>>? _unwrap;
    private readonly Func<object?, object?[], object?> _invoke;
    private readonly object? _target;
    private readonly IServiceProvider? _services;

    /// <summary>An endpoint served by a delegate (minimal-API style).</summary>
    public Endpoint(string name, Delegate handler, string? doc, IServiceProvider? services = null, Func<Type, bool>? isService = null)
        : this(name, handler.Method.GetParameters(), handler.Method.ReturnType, Invokers.ForDelegate(handler), null, doc, services, isService) { }

    /// <summary>A method or constructor bound on demand (proxies): <paramref name="target"/> is the instance, null for constructors.</summary>
    public Endpoint(string name, MethodBase method, object? target)
        : this(name, method.GetParameters(), method is MethodInfo m ? m.ReturnType : method.DeclaringType!, Invokers.For(method), target, null, null, null) { }

    private Endpoint(string name, ParameterInfo[] parameters, Type returnType, Func<object?, object?[], object?> invoke, object? target,
        string? doc, IServiceProvider? services, Func<Type, bool>? isService)
    {
        Name = name;
        Doc = doc ?? "";
        _services = services;
        _parameters = parameters;
        _invoke = invoke;
        _target = target;
        _kinds = _parameters.Select(p =>
        {
            var kind = Classify(p);
            // Data-looking types the container also knows (IEnumerable<T> always "is a service") stay data.
            bool injectable = kind == ParameterKind.Data && !typeof(System.Collections.IEnumerable).IsAssignableFrom(p.ParameterType)
                && !p.ParameterType.IsValueType && isService?.Invoke(p.ParameterType) == true;
            return injectable ? ParameterKind.Service : kind;
        }).ToArray();
        _wireNames = _parameters.Select(p => p.Name ?? $"arg{p.Position}").ToArray();
        _unwrap = ResultUnwrapper.For(returnType);
    }

    public string Name { get; }
    public string Doc { get; }

    /// <summary>
    /// Runs on the kernel's I/O thread as soon as its submit is accepted, bypassing the queue and
    /// the workers (for handlers that take microseconds and never block).
    /// </summary>
    public bool Inline { get; init; }

    private enum ParameterKind { Data, CancellationToken, Progress, Context, Service }

    private static ParameterKind Classify(ParameterInfo p)
    {
        var t = p.ParameterType;
        if (t == typeof(CancellationToken)) return ParameterKind.CancellationToken;
        if (t == typeof(TaskContext)) return ParameterKind.Context;
        if (t.IsGenericType && t.GetGenericTypeDefinition() == typeof(IProgress<>)) return ParameterKind.Progress;
        return ParameterKind.Data;
    }

    /// <summary>Description for kernel_info.</summary>
    public Dictionary<string, object?> Describe() => new()
    {
        ["name"] = Name,
        ["params"] = _parameters.Where((_, i) => _kinds[i] == ParameterKind.Data).Select(p => new Dictionary<string, object?>
        {
            ["name"] = p.Name,
            ["type"] = TypeName(p.ParameterType),
            ["required"] = !p.HasDefaultValue,
        }).ToArray(),
        ["doc"] = Doc,
    };

    private static string TypeName(Type t) => t.IsArray ? TypeName(t.GetElementType()!) + "[" + new string(',', t.GetArrayRank() - 1) + "]" : t.Name;

    /// <summary>
    /// Binds positional then named arguments. Kernel-supplied parameters are left null here and
    /// filled in by <see cref="InvokeAsync"/>. Throws <see cref="ArgumentBindingException"/> naming the parameter.
    /// </summary>
    public object?[] Bind(object?[] args, IReadOnlyDictionary<string, object?> kwargs)
    {
        var bound = new object?[_parameters.Length];
        var set = new bool[_parameters.Length];
        int position = 0;
        for (int i = 0; i < _parameters.Length && position < args.Length; i++)
        {
            if (_kinds[i] != ParameterKind.Data) continue;
            bound[i] = Convert(i, args[position++]);
            set[i] = true;
        }
        if (position < args.Length)
            throw new ArgumentBindingException($"endpoint '{Name}' takes {DataParameterCount} positional arguments but {args.Length} were given");
        foreach (var (key, value) in kwargs)
        {
            int i = Array.FindIndex(_wireNames, n => string.Equals(n, key, StringComparison.Ordinal));
            if (i < 0 || _kinds[i] != ParameterKind.Data)
                throw new ArgumentBindingException($"endpoint '{Name}' has no parameter '{key}' (parameters: {string.Join(", ", DataParameterNames)})");
            if (set[i]) throw new ArgumentBindingException($"parameter '{key}' of endpoint '{Name}' was given both by position and by name");
            bound[i] = Convert(i, value);
            set[i] = true;
        }
        for (int i = 0; i < _parameters.Length; i++)
        {
            if (set[i] || _kinds[i] != ParameterKind.Data) continue;
            if (_parameters[i].HasDefaultValue) bound[i] = _parameters[i].DefaultValue;
            else throw new ArgumentBindingException($"endpoint '{Name}' is missing required parameter '{_wireNames[i]}'");
        }
        return bound;
    }

    private int DataParameterCount => _kinds.Count(k => k == ParameterKind.Data);
    private IEnumerable<string> DataParameterNames => _wireNames.Where((_, i) => _kinds[i] == ParameterKind.Data);

    private object? Convert(int i, object? value)
    {
        try { return ValueConverter.ConvertTo(value, _parameters[i].ParameterType); }
        catch (Exception e) when (e is InvalidCastException or FormatException or ArgumentException)
        {
            throw new ArgumentBindingException($"parameter '{_wireNames[i]}' of endpoint '{Name}': {e.Message}");
        }
    }

    /// <summary>Runs the handler with kernel-supplied parameters filled in, awaiting async results.</summary>
    public async Task<object?> InvokeAsync(object?[] bound, TaskContext context)
    {
        var args = (object?[])bound.Clone();
        for (int i = 0; i < _kinds.Length; i++)
        {
            switch (_kinds[i])
            {
                case ParameterKind.CancellationToken: args[i] = context.CancellationToken; break;
                case ParameterKind.Context: args[i] = context; break;
                case ParameterKind.Service: args[i] = _services!.GetService(_parameters[i].ParameterType); break;
                case ParameterKind.Progress:
                    args[i] = Activator.CreateInstance(typeof(TaskProgress<>).MakeGenericType(_parameters[i].ParameterType.GetGenericArguments()[0]), context);
                    break;
            }
        }
        var result = _invoke(_target, args);
        return _unwrap is null ? result : await _unwrap(result).ConfigureAwait(false);
    }
}

/// <summary>Compiled invokers: a call costs a delegate invocation, not a reflection invoke.</summary>
internal static class Invokers
{
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<MethodBase, Func<object?, object?[], object?>> Cache = new();

    /// <summary><c>(_, args) =&gt; handler((T0)args[0], ...)</c> for a delegate.</summary>
    public static Func<object?, object?[], object?> ForDelegate(Delegate handler) =>
        Compile(handler.GetType().GetMethod("Invoke")!, Expression.Constant(handler));

    /// <summary><c>(target, args) =&gt; ((T)target).M((T0)args[0], ...)</c>, or <c>new T(...)</c> for a constructor.</summary>
    public static Func<object?, object?[], object?> For(MethodBase method) => Cache.GetOrAdd(method, m => Compile(m, null));

    private static Func<object?, object?[], object?> Compile(MethodBase method, Expression? fixedTarget)
    {
        var target = Expression.Parameter(typeof(object), "target");
        var args = Expression.Parameter(typeof(object?[]), "args");
        var converted = method.GetParameters().Select((p, i) => (Expression)Expression.Convert(
            Expression.ArrayIndex(args, Expression.Constant(i)), p.ParameterType)).ToArray();
        Expression call = method switch
        {
            ConstructorInfo c => Expression.New(c, converted),
            MethodInfo m when m.IsStatic => Expression.Call(m, converted),
            MethodInfo m => Expression.Call(fixedTarget ?? Expression.Convert(target, m.DeclaringType!), m, converted),
            _ => throw new NotSupportedException(method.ToString()),
        };
        Expression body = call.Type == typeof(void)
            ? Expression.Block(call, Expression.Constant(null, typeof(object)))
            : Expression.Convert(call, typeof(object));
        return Expression.Lambda<Func<object?, object?[], object?>>(body, target, args).Compile();
    }
}

/// <summary>Arguments that do not fit the endpoint's parameters.</summary>
internal sealed class ArgumentBindingException(string message) : Exception(message);

/// <summary>Progress reports forwarded to the client as <c>progress</c> messages.</summary>
internal sealed class TaskProgress<T>(TaskContext context) : IProgress<T>
{
    public void Report(T value) => context.ReportProgress(value);
}

/// <summary>Awaits Task, Task&lt;T&gt;, ValueTask and ValueTask&lt;T&gt; results uniformly.</summary>
internal static class ResultUnwrapper
{
    public static Func<object?, Task<object?>>? For(Type returnType)
    {
        if (returnType == typeof(Task)) return async r => { await ((Task)r!).ConfigureAwait(false); return null; };
        if (returnType == typeof(ValueTask)) return async r => { await ((ValueTask)r!).ConfigureAwait(false); return null; };
        if (returnType.IsGenericType)
        {
            var def = returnType.GetGenericTypeDefinition();
            if (def == typeof(Task<>))
            {
                var prop = returnType.GetProperty("Result")!;
                return async r => { await ((Task)r!).ConfigureAwait(false); return prop.GetValue(r); };
            }
            if (def == typeof(ValueTask<>))
            {
                var asTask = returnType.GetMethod("AsTask")!;
                var prop = typeof(Task<>).MakeGenericType(returnType.GetGenericArguments()[0]).GetProperty("Result")!;
                return async r => { var t = (Task)asTask.Invoke(r, null)!; await t.ConfigureAwait(false); return prop.GetValue(t); };
            }
        }
        return null;
    }
}
