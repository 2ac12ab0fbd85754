namespace Mesh.Protocol;

/// <summary>The header of every message (docs/protocol.md section 2.2).</summary>
/// <param name="Id">Unique message id.</param>
/// <param name="Type">Message type.</param>
/// <param name="Session">Sender's session id.</param>
/// <param name="Date">Creation time, UTC.</param>
/// <param name="ParentId">For replies: the request's id.</param>
public readonly record struct MessageHeader(string Id, string Type, string Session, DateTime Date, string? ParentId);
