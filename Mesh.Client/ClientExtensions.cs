namespace Mesh.Client;

/// <summary>One-line conveniences over <see cref="Client.CallAsync{T}(string, Arguments, CallOptions?, CancellationToken)"/>.</summary>
public static class ClientExtensions
{
    /// <summary>
    /// Calls with positional arguments: <c>await client.CallAsync&lt;double&gt;("add", 1.0, 2.0)</c>.
    /// An array of reference types passed alone (a <c>string[]</c>) would be taken as the argument
    /// list itself; pass it as <c>Arguments.Of((object)array)</c> instead.
    /// </summary>
    public static Task<T> CallAsync<T>(this Client client, string endpoint, params object?[] args) =>
        client.CallAsync<T>(endpoint, Arguments.Of(args));

    /// <summary>Submits with positional arguments and returns the accepted task's handle.</summary>
    public static Task<RemoteTask> SubmitAsync(this Client client, string endpoint, params object?[] args) =>
        client.SubmitAsync(endpoint, Arguments.Of(args));
}
