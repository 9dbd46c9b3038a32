using System.Numerics;
using System.Reflection;
using MicrogradPlus.Backends;
using MicrogradPlus.Kernels;
using MicrogradPlus.Tests.Infrastructure;
using Xunit;

namespace MicrogradPlus.Tests.Kernels;

/// <summary>
/// The execution seam: each device runs one executor; an operator declared anywhere — here, in the test assembly,
/// named in no table of the library — gets the host executor's vector loop by writing its vector form, and the
/// kernels by its scalar form; the user's view of the library holds no plumbing.
/// </summary>
[Collection(nameof(VectorFormProbe))]
public class ExecutorTests
{
    [Theory, MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Each_device_runs_one_executor_chosen_by_kind(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        var device = scope.Device;
        var expected = deviceName == "cpu" ? typeof(HostExecutor) : typeof(KernelExecutor);
        Assert.IsType(expected, device.Executor);
        Assert.Same(device.Executor, device.Executor);
    }

    [Theory, MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void An_operator_outside_the_library_runs_its_vector_form_on_the_host_and_its_scalar_form_in_kernels(
        string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        var device = scope.Device;
        using var buffers = new BufferSet();
        // 1,003 elements: whole vectors and a ragged end, contiguous and through a strided (transposed) view.
        var values = Enumerable.Range(0, 1003).Select(i => (float)Math.Sin(i)).ToArray();
        var x = StridedView.Contiguous(buffers.Upload(device, values), 1003);
        var y = buffers.Rent<float>(device, 1003);
        VectorFormProbe.VectorCalls = 0;
        Primitives.Map(x, y, new VectorFormProbe());
        Assert.Equal(values.Select(v => 3f * v), y.ToArray());
        if (deviceName == "cpu")
        {
            // ⌈1003 / lanes⌉ vector calls: the ragged end goes through one padded vector too.
            Assert.Equal((1003 + Vector<float>.Count - 1) / Vector<float>.Count, VectorFormProbe.VectorCalls);
        }
        else
        {
            Assert.Equal(0, VectorFormProbe.VectorCalls);
        }
        var square = StridedView.Contiguous(buffers.Upload(device, values[..1000]), 25, 40).Transpose(0, 1);
        var z = buffers.Rent<float>(device, 1000);
        Primitives.Map(square, z, new VectorFormProbe());
        var expected = Enumerable.Range(0, 1000).Select(i => 3f * values[i % 25 * 40 + i / 25]);
        Assert.Equal(expected, z.ToArray());
    }

    [Fact]
    public void The_public_surface_is_the_users_api_only()
    {
        Assert.Empty(typeof(AddOp).Assembly.GetExportedTypes());
        Assert.Equal(["MicrogradPlus.BufferPool", "MicrogradPlus.Device", "MicrogradPlus.DeviceKind",
                "MicrogradPlus.MemoryStats"],
            typeof(Device).Assembly.GetExportedTypes().Select(t => t.FullName!).Order());
        var library = typeof(MicrogradPlus.Tensor).Assembly.GetExportedTypes();
        Assert.DoesNotContain(library, t => t.Namespace is "MicrogradPlus.Backends" or "MicrogradPlus.Kernels");
        Assert.Contains(typeof(MicrogradPlus.Tensor), library);
        // Nothing public takes or returns plumbing.
        foreach (var type in library.Append(typeof(Device)).Append(typeof(BufferPool)))
        {
            foreach (var member in type.GetMembers(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static |
                                                   BindingFlags.DeclaredOnly))
            {
                var signature = member switch
                {
                    MethodInfo m => m.GetParameters().Select(p => p.ParameterType).Append(m.ReturnType),
                    PropertyInfo p => [p.PropertyType],
                    FieldInfo f => [f.FieldType],
                    _ => [],
                };
                Assert.DoesNotContain(signature, t => !(t.IsPublic || t.IsNestedPublic || t.IsGenericParameter) &&
                                                      t.Assembly != typeof(object).Assembly);
            }
        }
    }
}

/// <summary>
/// 3x, with a vector form that counts its calls: proves which form a device ran. Public, so ILGPU's generated
/// launchers reach it like the library's own operators.
/// </summary>
public struct VectorFormProbe : IUnaryOp<float>, IVectorized
{
    private static int _vectorCalls;

    /// <summary>Vector-form calls since the last reset (tests in this collection run one at a time).</summary>
    public static int VectorCalls
    {
        get => Volatile.Read(ref _vectorCalls);
        set => Volatile.Write(ref _vectorCalls, value);
    }

    /// <inheritdoc/>
    public readonly float Apply(float x) => 3f * x;

    /// <inheritdoc/>
    public readonly Vector<float> Apply(Vector<float> x)
    {
        Interlocked.Increment(ref _vectorCalls);
        return new Vector<float>(3f) * x;
    }
}
