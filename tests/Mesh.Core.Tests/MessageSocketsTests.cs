using Mesh.Transport;
using Mesh.Transport.Zmtp;

namespace Mesh.Core.Tests;

/// <summary>The choice between the managed ZMTP sockets and libzmq's (<c>MESH_SOCKETS</c>).</summary>
[Collection(nameof(MessageSocketsTests))] // changes a process-wide environment variable
public sealed class MessageSocketsTests
{
    private static T With<T>(string? value, Func<T> action)
    {
        string? before = Environment.GetEnvironmentVariable(MessageSockets.Variable);
        Environment.SetEnvironmentVariable(MessageSockets.Variable, value);
        try { return action(); }
        finally { Environment.SetEnvironmentVariable(MessageSockets.Variable, before); }
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("managed")]
    public void Managed_sockets_are_the_default_on_linux(string? value)
    {
        using var socket = With(value, () => MessageSockets.Create(ZmqSocketType.Router));
        Assert.Equal(OperatingSystem.IsLinux(), socket is ZmtpSocket);
    }

    [Fact]
    public void Libzmq_is_chosen_by_name()
    {
        using var socket = With("libzmq", () => MessageSockets.Create(ZmqSocketType.Dealer));
        Assert.IsType<ZmqSocket>(socket);
    }

    [Fact]
    public void An_unknown_choice_is_refused_naming_the_variable_and_the_choices()
    {
        var e = Assert.Throws<ArgumentException>(() => With("nanomsg", () => MessageSockets.Create(ZmqSocketType.Dealer)));
        Assert.Contains("MESH_SOCKETS='nanomsg'", e.Message);
        Assert.Contains("managed, libzmq", e.Message);
    }
}
