using System.Runtime.CompilerServices;
using System.Text;
using MicrogradPlus.Nn;
using MicrogradPlus.Tests.Infrastructure;
using Xunit;

namespace MicrogradPlus.Tests.Nn;

using Tensor = MicrogradPlus.Tensor;

/// <summary>
/// The reader puts a file's tensors of one element type in one device allocation, each tensor a sub-lease of it: the
/// tensors behave as if each had its own memory (values, in-place writes, versions, views, ops, moves, scopes, capture),
/// and the allocation goes back to the pool when the last of them is disposed or dropped.
/// </summary>
public sealed class SafetensorsSharedMemoryTests : IDisposable
{
    /// <summary>Elements of the large tensor: more than the reader's 1 MiB window of float32.</summary>
    private const int Large = 300_001;

    private readonly string _folder = Directory.CreateTempSubdirectory("microgradplus-safetensors-shared-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Tensors_of_one_type_share_one_allocation_and_behave_as_their_own(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        var device = scope.Device;
        var pool = device.Pool;
        string path = WriteMixed();
        Pools.DrainFinalized(pool);
        long buffers = pool.LiveBuffers, bytes = pool.LiveBytes;

        var loaded = Safetensors.Load(path, device);
        Assert.Equal(buffers + 2, pool.LiveBuffers); // one for float32 (F32, F16, BF16 widened), one for float64
        AssertValues(loaded);
        var a = loaded["a"];
        var b = loaded["b"];
        int aVersion = a.Storage.Version, bVersion = b.Storage.Version;

        // An in-place write to one tensor changes neither its neighbours' values nor their versions.
        a.CopyFrom([10f, 20f, 30f]);
        Assert.Equal([10f, 20f, 30f], a.ToArray());
        Assert.Equal([4f], b.ToArray());
        Assert.True(a.Storage.Version > aVersion);
        Assert.Equal(bVersion, b.Storage.Version);
        using (Tensor.Scope())
        {
            Assert.Equal([20f, 30f], a.Slice(0, 1, 3).ToArray());
            Assert.Equal([30f, 20f, 10f], a.Flip(0).ToArray());
            Assert.Equal([14f, 24f, 34f], (a + b).ToArray());
            Assert.Equal([-5f], loaded["h"].To(Device.Cpu).ToArray());
        }

        // Disposing tensors one by one: the others stay readable; the allocation lives until the last one goes.
        a.Dispose();
        Assert.Throws<ObjectDisposedException>(() => a.ToArray());
        Assert.Equal([4f], b.ToArray());
        Assert.Equal(buffers + 2, pool.LiveBuffers);
        foreach (var tensor in loaded.Values)
        {
            tensor.Dispose();
        }
        Assert.Equal(buffers, pool.LiveBuffers);
        Assert.Equal(bytes, pool.LiveBytes);
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Loaded_tensors_dropped_undisposed_come_back_to_the_pool(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        var pool = scope.Device.Pool;
        string path = WriteMixed();
        Pools.DrainFinalized(pool);
        long buffers = pool.LiveBuffers, bytes = pool.LiveBytes;

        LoadAndDrop(path, scope.Device, disposeSome: false);
        Assert.Equal(buffers + 2, pool.LiveBuffers);
        Pools.DrainFinalized(pool);
        Assert.Equal(buffers, pool.LiveBuffers);
        Assert.Equal(bytes, pool.LiveBytes);

        // Some disposed, the rest dropped: each lease counts once.
        LoadAndDrop(path, scope.Device, disposeSome: true);
        Pools.DrainFinalized(pool);
        Assert.Equal(buffers, pool.LiveBuffers);
        Assert.Equal(bytes, pool.LiveBytes);
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void A_scope_disposes_the_loaded_tensors_but_the_one_moved_out(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        var pool = scope.Device.Pool;
        string path = WriteMixed();
        Pools.DrainFinalized(pool);
        long buffers = pool.LiveBuffers;

        Tensor kept;
        using (var tensors = Tensor.Scope())
        {
            var loaded = Safetensors.Load(path, scope.Device);
            kept = tensors.MoveOut(loaded["b"]);
        }
        Assert.Equal(buffers + 1, pool.LiveBuffers); // the float32 allocation, for the tensor moved out
        Assert.Equal([4f], kept.ToArray());
        kept.Dispose();
        Assert.Equal(buffers, pool.LiveBuffers);

        // Moved out and then dropped: its guard is the allocation's, which brings it back.
        MoveOutAndDrop(path, scope.Device);
        Pools.DrainFinalized(pool);
        Assert.Equal(buffers, pool.LiveBuffers);
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void A_captured_step_keeps_the_shared_allocation_until_it_is_disposed(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        var device = scope.Device;
        var pool = device.Pool;
        string path = WriteMixed();
        using (var warm = Tensor.Scope())
        {
            _ = (Tensor.Ones([3], device) * 2f).ToArray(); // the kernel exists before the count starts
        }
        Pools.DrainFinalized(pool);
        long buffers = pool.LiveBuffers;

        var loaded = Safetensors.Load(path, device);
        var a = loaded["a"];
        var step = device.Capture(() =>
        {
            using var inner = Tensor.Scope();
            return inner.MoveOut(a * 2f);
        });
        step.Replay();
        foreach (var tensor in loaded.Values)
        {
            tensor.Dispose(); // every lease returned; the pinned allocation stays for the replays
        }
        Assert.Equal([2f, 4f, 6f], step.Replay().ToArray());
        using (var other = Tensor.Scope())
        {
            // New rentals of the same bucket do not get the pinned memory.
            _ = Tensor.Full([3], 7f, device);
            Assert.Equal([2f, 4f, 6f], step.Replay().ToArray());
        }
        step.Dispose();
        Pools.DrainFinalized(pool);
        Assert.Equal(buffers, pool.LiveBuffers);
    }

    private static void AssertValues(Dictionary<string, Tensor> loaded)
    {
        Assert.Equal([1f, 2f, 3f], loaded["a"].ToArray());
        Assert.Equal([4f], loaded["b"].ToArray());
        Assert.Equal([-5f], loaded["h"].ToArray());
        Assert.Equal([0.5f, 6f], loaded["bf"].ToArray());
        Assert.Equal([7.25, -8.5], loaded["d"].ToDoubleArray());
        Assert.Equal([9.0], loaded["e"].ToDoubleArray());
        Assert.Equal([0, 2], loaded["z"].Shape);
        var large = loaded["large"].ToArray();
        Assert.Equal(Large, large.Length);
        for (int i = 0; i < Large; i += 9973)
        {
            Assert.Equal(i % 1000, large[i]);
        }
        Assert.Equal((Large - 1) % 1000, large[^1]);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void LoadAndDrop(string path, Device device, bool disposeSome)
    {
        var loaded = Safetensors.Load(path, device);
        AssertValues(loaded);
        if (disposeSome)
        {
            loaded["a"].Dispose();
            loaded["d"].Dispose();
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void MoveOutAndDrop(string path, Device device)
    {
        using var tensors = Tensor.Scope();
        tensors.MoveOut(Safetensors.Load(path, device)["large"]);
    }

    /// <summary>
    /// A file with every stored type, interleaved in the data section, an empty tensor, and a tensor larger than the
    /// reader's window between small ones.
    /// </summary>
    private string WriteMixed()
    {
        var data = new List<byte>();
        var header = new StringBuilder("{");
        void Add(string name, string dtype, string shape, byte[] bytes)
        {
            header.Append(header.Length > 1 ? "," : "").Append($"\"{name}\":{{\"dtype\":\"{dtype}\",")
                .Append($"\"shape\":{shape},\"data_offsets\":[{data.Count},{data.Count + bytes.Length}]}}");
            data.AddRange(bytes);
        }
        Add("a", "F32", "[3]", Floats(1f, 2f, 3f));
        Add("d", "F64", "[2]", [.. BitConverter.GetBytes(7.25), .. BitConverter.GetBytes(-8.5)]);
        Add("h", "F16", "[1]", BitConverter.GetBytes((Half)(-5f)));
        Add("z", "F32", "[0,2]", []);
        Add("b", "F32", "[1]", Floats(4f));
        Add("large", "F32", $"[{Large}]", Floats(Enumerable.Range(0, Large).Select(i => (float)(i % 1000)).ToArray()));
        Add("bf", "BF16", "[2]", [0x00, 0x3F, 0xC0, 0x40]); // 0.5 and 6 as the top halves of their float32 bits
        Add("e", "F64", "[]", BitConverter.GetBytes(9.0));
        byte[] json = Encoding.UTF8.GetBytes(header.Append('}').ToString());
        string path = Path.Combine(_folder, "mixed.safetensors");
        File.WriteAllBytes(path, [.. BitConverter.GetBytes((long)json.Length), .. json, .. data]);
        return path;
    }

    private static byte[] Floats(params float[] values)
    {
        var bytes = new byte[4 * values.Length];
        Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
        return bytes;
    }
}
