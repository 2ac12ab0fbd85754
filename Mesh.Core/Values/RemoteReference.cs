namespace Mesh.Values;

/// <summary>
/// A reference to an object living in a kernel (ext 3, docs/protocol.md section 9.1). Ids are
/// allocated by the kernel, never reused, and are not memory addresses.
/// </summary>
/// <param name="ObjectId">The kernel's object id.</param>
/// <param name="TypeName">The object's type name (informative).</param>
/// <param name="KernelId">The kernel that holds the object.</param>
public sealed record RemoteReference(ulong ObjectId, string TypeName, string KernelId);

/// <summary>Anything that stands for a remote object (proxies); encoded as its <see cref="RemoteReference"/>.</summary>
public interface IRemoteReference
{
    /// <summary>The reference this proxy holds.</summary>
    RemoteReference Reference { get; }
}
