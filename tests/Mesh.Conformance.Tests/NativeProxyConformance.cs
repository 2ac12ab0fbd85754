namespace Mesh.Conformance.Tests;

/// <summary>The proxy cases against the native C kernel (its conformance objects, kernels/native/glpk/src/conformance_objects.c).</summary>
public sealed class NativeProxyConformance(NativeKernelFixture fixture) : ProxyConformanceTests<NativeKernelFixture>(fixture);
