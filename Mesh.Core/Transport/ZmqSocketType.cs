namespace Mesh.Transport;

/// <summary>The libzmq socket types Mesh uses.</summary>
public enum ZmqSocketType
{
    /// <summary>PAIR.</summary>
    Pair = ZmqNative.PAIR,
    /// <summary>REQ (used only by the floor benchmark).</summary>
    Req = ZmqNative.REQ,
    /// <summary>REP (used only by the floor benchmark).</summary>
    Rep = ZmqNative.REP,
    /// <summary>DEALER: client side of every kernel port.</summary>
    Dealer = ZmqNative.DEALER,
    /// <summary>ROUTER: kernel side of every port, and the manager's registration socket.</summary>
    Router = ZmqNative.ROUTER,
}
