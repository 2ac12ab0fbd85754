namespace Mesh.Protocol;

/// <summary>The reserved error codes of docs/protocol.md section 4.6.</summary>
public enum ErrorCode
{
    /// <summary>The handler raised or returned an error.</summary>
    ApplicationError = 0,
    /// <summary>Signature did not verify (such messages are dropped, never answered).</summary>
    BadSignature = 1001,
    /// <summary>Protocol tag with an unsupported version.</summary>
    UnsupportedVersion = 1002,
    /// <summary>Undecodable header or content, wrong frame count, buffer mismatch.</summary>
    MalformedMessage = 1003,
    /// <summary>A frame above the maximum message size.</summary>
    MessageTooLarge = 1004,
    /// <summary>Header type not known.</summary>
    UnknownMessageType = 1005,
    /// <summary>No endpoint of that name.</summary>
    UnknownEndpoint = 1101,
    /// <summary>Missing, surplus or mistyped arguments.</summary>
    BadArguments = 1102,
    /// <summary>No task of that id.</summary>
    UnknownTask = 1103,
    /// <summary>The task was cancelled.</summary>
    TaskCancelled = 1104,
    /// <summary>The task exceeded its timeout.</summary>
    TaskTimeout = 1105,
    /// <summary>The kernel accepts no new tasks.</summary>
    KernelShuttingDown = 1106,
    /// <summary>The kernel's queue is full.</summary>
    QueueFull = 1107,
    /// <summary>A task with this id already exists.</summary>
    DuplicateTask = 1108,
    /// <summary>The kernel died or stopped answering health (client side).</summary>
    KernelLost = 1109,
    /// <summary>A bug in the kernel; it keeps running.</summary>
    InternalError = 1110,
    /// <summary>No object with that id (released, expired, never existed).</summary>
    ProxyUnknownObject = 1201,
    /// <summary>Outside the allow-list (dunder, reflection, machinery).</summary>
    ProxyForbidden = 1202,
    /// <summary>deref of an object that is not plain data.</summary>
    ProxyNotData = 1203,
    /// <summary>No public member of that name.</summary>
    ProxyUnknownMember = 1204,
    /// <summary>root of a name the kernel does not export.</summary>
    ProxyNotExported = 1205,
}
