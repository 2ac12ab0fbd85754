namespace Mesh.Kernel.Dispatch;

/// <summary>Endpoints by name.</summary>
internal sealed class EndpointRegistry
{
    private readonly Dictionary<string, Endpoint> _endpoints = new(StringComparer.Ordinal);

    public void Add(Endpoint endpoint)
    {
        if (!_endpoints.TryAdd(endpoint.Name, endpoint))
            throw new InvalidOperationException($"endpoint '{endpoint.Name}' is already mapped");
    }

    public bool TryGet(string name, out Endpoint endpoint) => _endpoints.TryGetValue(name, out endpoint!);

    public IEnumerable<Endpoint> All => _endpoints.Values;

    public IEnumerable<string> Names => _endpoints.Keys;
}
