namespace Mesh.Protocol;

/// <summary>The message type names of docs/protocol.md section 6.</summary>
public static class MessageTypes
{
#pragma warning disable CS1591 // names are the documentation
    public const string HealthRequest = "health_request", HealthReply = "health_reply";
    public const string SubmitRequest = "submit_request", SubmitReply = "submit_reply";
    public const string GetRequest = "get_request", GetReply = "get_reply";
    public const string CancelRequest = "cancel_request", CancelReply = "cancel_reply";
    public const string StatusRequest = "status_request", StatusReply = "status_reply";
    public const string KernelInfoRequest = "kernel_info_request", KernelInfoReply = "kernel_info_reply";
    public const string InterruptRequest = "interrupt_request", InterruptReply = "interrupt_reply";
    public const string ShutdownRequest = "shutdown_request", ShutdownReply = "shutdown_reply";
    public const string RegisterRequest = "register_request", RegisterReply = "register_reply";
    public const string Progress = "progress";
    public const string ErrorReply = "error_reply";
#pragma warning restore CS1591
}
