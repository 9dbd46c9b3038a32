using System.Buffers.Binary;
using System.Text;
using MicrogradPlus.Nn;
using MicrogradPlus.Tests.Infrastructure;
using Xunit;

namespace MicrogradPlus.Tests.Nn;

using Tensor = MicrogradPlus.Tensor;

public sealed class SafetensorsTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("microgradplus-safetensors-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Round_trip_keeps_names_shapes_dtypes_values_and_metadata(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        using var tensors = Tensor.Scope();
        var device = scope.Device;
        var state = new Dictionary<string, Tensor>
        {
            ["layer.weight"] = Tensor.FromArray([1f, -2.5f, 3.25f, float.MaxValue, float.Epsilon, -0f], [2, 3], device),
            ["layer.bias"] = Tensor.FromArray([0.1, -1e300, Math.PI], [3], device),
            ["scale"] = Tensor.Scalar(7.5f, device),
            ["empty"] = Tensor.Zeros([0, 4], device),
        };
        var metadata = new Dictionary<string, string> { ["format"] = "pt", ["note"] = "ünïcödé \"quoted\"\n\t\\" };
        string path = Path.Combine(_folder, "state.safetensors");

        Safetensors.Save(path, state, metadata);
        var loaded = Safetensors.Load(path, out var loadedMetadata, device);

        Assert.Equal(state.Keys.Order(), loaded.Keys.Order());
        foreach (var (name, expected) in state)
        {
            var actual = loaded[name];
            Assert.Equal(expected.Shape, actual.Shape);
            Assert.Equal(expected.DType, actual.DType);
            Assert.Same(device, actual.Device);
            Assert.Equal(expected.ToDoubleArray(), actual.ToDoubleArray());
        }
        Assert.Equal(metadata, loadedMetadata);
        Assert.Equal(metadata, Safetensors.LoadMetadata(path));
        Assert.False(File.Exists(path + ".tmp"));
    }

    [Fact]
    public void Written_bytes_match_the_reference_serializer()
    {
        // The reference implementation's own test vectors (safetensors' tensor.rs): one F32 tensor [1, 2, 3]
        // holding 0..5 gives a 64-byte header with no padding; shape [1, 1, 2, 3] under a shorter name gives 65
        // bytes of JSON padded with 7 spaces to 72.
        var values = new[] { 0f, 1f, 2f, 3f, 4f, 5f };
        var data = FloatBytes(values);
        using var tensors = Tensor.Scope();

        var first = Safetensors.Serialize(new Dictionary<string, Tensor>
        {
            ["attn.0"] = Tensor.FromArray(values, [1, 2, 3], Device.Cpu),
        });
        var expected = Build("{\"attn.0\":{\"dtype\":\"F32\",\"shape\":[1,2,3],\"data_offsets\":[0,24]}}", data);
        Assert.Equal(64UL, BinaryPrimitives.ReadUInt64LittleEndian(expected));
        Assert.Equal(expected, first);

        var second = Safetensors.Serialize(new Dictionary<string, Tensor>
        {
            ["attn0"] = Tensor.FromArray(values, [1, 1, 2, 3], Device.Cpu),
        });
        expected = Build("{\"attn0\":{\"dtype\":\"F32\",\"shape\":[1,1,2,3],\"data_offsets\":[0,24]}}", data);
        Assert.Equal(72UL, BinaryPrimitives.ReadUInt64LittleEndian(expected));
        Assert.Equal(expected, second);
    }

    [Fact]
    public void Empty_files_match_the_reference_serializer()
    {
        // Reference vectors: no tensors gives "{}" padded to 8; with {"framework": "pt"} a 40-byte header.
        var none = Safetensors.Serialize(new Dictionary<string, Tensor>());
        byte[] expected = [8, 0, 0, 0, 0, 0, 0, 0, .. "{}      "u8];
        Assert.Equal(expected, none);

        var withMetadata = Safetensors.Serialize(new Dictionary<string, Tensor>(),
            new Dictionary<string, string> { ["framework"] = "pt" });
        expected = [40, 0, 0, 0, 0, 0, 0, 0, .. "{\"__metadata__\":{\"framework\":\"pt\"}}     "u8];
        Assert.Equal(expected, withMetadata);

        string path = Path.Combine(_folder, "empty.safetensors");
        File.WriteAllBytes(path, withMetadata);
        Assert.Empty(Safetensors.Load(path, out var metadata, Device.Cpu));
        Assert.Equal("pt", metadata["framework"]);
    }

    [Fact]
    public void Tensors_are_ordered_by_dtype_then_name_and_metadata_keys_are_sorted()
    {
        using var tensors = Tensor.Scope();
        var bytes = Safetensors.Serialize(
            new Dictionary<string, Tensor>
            {
                ["b"] = Tensor.FromArray([2f], [1], Device.Cpu),
                ["a"] = Tensor.FromArray([1f, 1f], [2], Device.Cpu),
                ["z"] = Tensor.FromArray([3.0], [1], Device.Cpu),
            },
            new Dictionary<string, string> { ["y"] = "2", ["x"] = "1" });
        string header = HeaderOf(bytes);
        Assert.Equal(
            "{\"__metadata__\":{\"x\":\"1\",\"y\":\"2\"}," +
            "\"z\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,8]}," +
            "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}," +
            "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[16,20]}}",
            header.TrimEnd(' '));
        Assert.Equal(0, header.Length % 8);
    }

    [Fact]
    public void File_written_by_the_reference_library_loads_and_our_writer_reproduces_it()
    {
        // Nn/Fixtures/*.safetensors were written by safetensors 0.8.0 (safetensors.torch.save_file, torch 2.11) with
        // tests/goldens/safetensors_roundtrip.py; that script also loads files written by Safetensors.Save.
        string path = Fixture("reference_f32_f64.safetensors");
        using var tensors = Tensor.Scope();
        var loaded = Safetensors.Load(path, out var metadata, Device.Cpu);
        Assert.Equal(["empty", "fc.bias", "fc.weight", "step"], loaded.Keys.Order());
        Assert.Equal([2, 3], loaded["fc.weight"].Shape);
        Assert.Equal([0.5f, -1f, 2f, 0.25f, 3f, -4f], loaded["fc.weight"].ToArray());
        Assert.Equal([0.125f, -0.75f], loaded["fc.bias"].ToArray());
        Assert.Equal(DType.Float64, loaded["step"].DType);
        Assert.Empty(loaded["step"].Shape);
        Assert.Equal(3.0, loaded["step"].ToDoubleArray()[0]);
        Assert.Equal([0, 4], loaded["empty"].Shape);
        Assert.Equal(new Dictionary<string, string> { ["format"] = "pt" }, metadata);

        Assert.Equal(File.ReadAllBytes(path), Safetensors.Serialize(loaded, metadata));
    }

    [Fact]
    public void Half_precision_file_written_by_the_reference_library_loads_as_float32()
    {
        using var tensors = Tensor.Scope();
        var loaded = Safetensors.Load(Fixture("reference_half.safetensors"), Device.Cpu);
        Assert.Equal([1f, -2f, 0.5f, 65504f], loaded["half"].ToArray());
        Assert.Equal([1f, -2.5f, 3.140625f], loaded["brain"].ToArray());
        Assert.Equal([7f], loaded["plain"].ToArray());
        Assert.All(loaded.Values, t => Assert.Equal(DType.Float32, t.DType));
    }

    [Fact]
    public void File_written_by_hand_as_pytorch_writes_it_loads()
    {
        // What safetensors.torch.save_file({"fc.weight": w, "fc.bias": b}, f, metadata={"format": "pt"}) writes for
        // a float32 Linear(3, 2): __metadata__ first, tensors by name, JSON padded with spaces to a multiple of 8.
        float[] weight = [0.5f, -1f, 2f, 0.25f, 3f, -4f];
        float[] bias = [0.125f, -0.75f];
        string json = "{\"__metadata__\":{\"format\":\"pt\"}," +
            "\"fc.bias\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}," +
            "\"fc.weight\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[8,32]}}";
        string path = Write("torch.safetensors", Build(json, [.. FloatBytes(bias), .. FloatBytes(weight)]));

        using var tensors = Tensor.Scope();
        var loaded = Safetensors.Load(path, out var metadata, Device.Cpu);
        Assert.Equal([2, 3], loaded["fc.weight"].Shape);
        Assert.Equal(weight, loaded["fc.weight"].ToArray());
        Assert.Equal([2], loaded["fc.bias"].Shape);
        Assert.Equal(bias, loaded["fc.bias"].ToArray());
        Assert.Equal("pt", metadata["format"]);
    }

    [Fact]
    public void Entries_in_any_order_and_unpadded_headers_load()
    {
        // Older writers listed tensors by name rather than by offset; the reader sorts by offset.
        string json = "{\"w\":{\"dtype\":\"F64\",\"shape\":[],\"data_offsets\":[4,12]}," +
            "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}";
        var data = new byte[12];
        BinaryPrimitives.WriteSingleLittleEndian(data, 1.5f);
        BinaryPrimitives.WriteDoubleLittleEndian(data.AsSpan(4), -2.25);
        string path = Write("order.safetensors", Build(json, data, pad: false));

        using var tensors = Tensor.Scope();
        var loaded = Safetensors.Load(path, Device.Cpu);
        Assert.Equal([1.5f], loaded["a"].ToArray());
        Assert.Equal(DType.Float64, loaded["w"].DType);
        Assert.Empty(loaded["w"].Shape);
        Assert.Equal(-2.25, loaded["w"].ToDoubleArray()[0]);
    }

    [Fact]
    public void Half_and_bfloat16_widen_to_float32()
    {
        // float16: 1, -2, 0.5, 65504 (largest), 2^-24 (smallest subnormal); bfloat16: 1, -2.5, 3.140625.
        ushort[] half = [0x3C00, 0xC000, 0x3800, 0x7BFF, 0x0001];
        ushort[] brain = [0x3F80, 0xC020, 0x4049];
        var data = new byte[2 * (half.Length + brain.Length)];
        for (int i = 0; i < half.Length + brain.Length; i++)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(data.AsSpan(2 * i), i < half.Length ? half[i] : brain[i - 5]);
        }
        string json = "{\"h\":{\"dtype\":\"F16\",\"shape\":[5],\"data_offsets\":[0,10]}," +
            "\"b\":{\"dtype\":\"BF16\",\"shape\":[3],\"data_offsets\":[10,16]}}";
        string path = Write("half.safetensors", Build(json, data));

        using var tensors = Tensor.Scope();
        var loaded = Safetensors.Load(path, Device.Cpu);
        Assert.Equal(DType.Float32, loaded["h"].DType);
        Assert.Equal([1f, -2f, 0.5f, 65504f, MathF.Pow(2, -24)], loaded["h"].ToArray());
        Assert.Equal([1f, -2.5f, 3.140625f], loaded["b"].ToArray());
    }

    [Fact]
    public void Stream_overloads_round_trip()
    {
        using var tensors = Tensor.Scope();
        using var stream = new MemoryStream();
        var x = Tensor.FromArray([4f, 5f], [2], Device.Cpu);
        Safetensors.Save(stream, new Dictionary<string, Tensor> { ["x"] = x });
        stream.Position = 0;
        Assert.Equal([4f, 5f], Safetensors.Load(stream, Device.Cpu)["x"].ToArray());
    }

    [Fact]
    public void Save_rejects_the_metadata_key_as_a_name_and_disposed_tensors()
    {
        var scalar = Tensor.Scalar(1f, Device.Cpu);
        var error = Assert.Throws<ArgumentException>(() =>
            Safetensors.Serialize(new Dictionary<string, Tensor> { ["__metadata__"] = scalar }));
        Assert.Contains("reserved", error.Message, StringComparison.Ordinal);
        scalar.Dispose();
        error = Assert.Throws<ArgumentException>(() =>
            Safetensors.Serialize(new Dictionary<string, Tensor> { ["x"] = scalar }));
        Assert.Contains("disposed", error.Message, StringComparison.Ordinal);
    }

    public static TheoryData<string, string> MalformedHeaders => new()
    {
        { "{\"a\":", "not valid JSON" },
        { "[1,2]", "is a JSON array, not an object" },
        { "\"text\"", "is a JSON string, not an object" },
        { Entry("F31", "[2]", "[0,8]"), "unknown dtype 'F31'" },
        { Entry("I64", "[1]", "[0,8]"), "dtype I64, which MicrogradPlus does not load" },
        { Entry("F32", "[-2]", "[0,8]"), "dimension 0 = -2, not a non-negative integer" },
        { Entry("F32", "[2.5]", "[0,8]"), "dimension 0 = 2.5, not a non-negative integer" },
        { Entry("F32", "[\"2\"]", "[0,8]"), "dimension 0 = \"2\", not a non-negative integer" },
        { Entry("F32", "2", "[0,8]"), "\"shape\" is a JSON number, not an array" },
        { Entry("F32", "[2147483647,2147483647]", "[0,8]"), "more elements than a tensor holds" },
        { Entry("F32", "[4]", "[0,16]"), "run past the data section (8 bytes)" },
        { Entry("F32", "[0]", "[8,4]"), "begin after they end" },
        { Entry("F32", "[2]", "[-8,0]"), "not two non-negative integers" },
        { Entry("F32", "[2]", "[0,8,8]"), "not two non-negative integers" },
        { Entry("F32", "[2]", "[\"0\",8]"), "not two non-negative integers" },
        { Entry("F32", "[3]", "[0,8]"), "shape (3,) of F32 needs 12 bytes, but data_offsets [0, 8] hold 8" },
        { Entry("F32", "[1]", "[0,4]"), "4 trailing bytes belong to no tensor" },
        { Entry("F32", "[1]", "[4,8]"), "bytes [0, 4) of the data section before tensor 'a' belong to no tensor" },
        {
            "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}," +
            "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}",
            "tensor 'b' (bytes [4, 8]) overlaps tensor 'a' (bytes [0, 8])"
        },
        { "{\"a\":{\"shape\":[2],\"data_offsets\":[0,8]}}", "tensor 'a': its entry has no \"dtype\"" },
        { "{\"a\":[0,8]}", "tensor 'a': its entry is a JSON array, not an object" },
        { "{\"__metadata__\":{\"epoch\":3}," + Entry("F32", "[2]", "[0,8]")[1..], "entry 'epoch' is a JSON number" },
        { "{\"__metadata__\":[]," + Entry("F32", "[2]", "[0,8]")[1..], "'__metadata__' is a JSON array" },
        // The second 'a' is a valid entry of its own: only the name is at fault.
        {
            Entry("F32", "[2]", "[0,8]")[..^1] + ",\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,8]}}",
            "the header names 'a' twice"
        },
    };

    [Theory]
    [MemberData(nameof(MalformedHeaders))]
    public void Malformed_header_is_rejected_with_what_is_wrong(string json, string message)
    {
        // Every variant has an 8-byte data section, so only the header is at fault.
        string path = Write("bad.safetensors", Build(json, new byte[8]));
        var error = Assert.Throws<InvalidDataException>(() => Safetensors.Load(path, Device.Cpu));
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void File_shorter_than_the_length_prefix_is_rejected()
    {
        string path = Write("short.safetensors", [1, 0, 0]);
        var error = Assert.Throws<InvalidDataException>(() => Safetensors.Load(path, Device.Cpu));
        Assert.Contains("3 bytes long, too short for the 8-byte header length", error.Message,
            StringComparison.Ordinal);
    }

    [Fact]
    public void Header_length_past_the_end_of_the_file_is_rejected_before_allocating()
    {
        var bytes = Build("{}", []);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, 4096);
        var error = Assert.Throws<InvalidDataException>(() => Safetensors.Load(Write("long.safetensors", bytes)));
        Assert.Contains("header length 4096 runs past the end of the file (16 bytes)", error.Message,
            StringComparison.Ordinal);

        // A length near 2^64 must neither allocate nor overflow.
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, ulong.MaxValue - 3);
        error = Assert.Throws<InvalidDataException>(() => Safetensors.Load(Write("huge.safetensors", bytes)));
        Assert.Contains("over the 100000000-byte limit", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Header_that_is_not_utf8_is_rejected()
    {
        var bytes = Build("{\"\u00e9\":1}", []);
        bytes[11] = 0xFF;
        var error = Assert.Throws<InvalidDataException>(() => Safetensors.Load(Write("latin1.safetensors", bytes)));
        Assert.Contains("not valid UTF-8", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Truncated_data_is_rejected()
    {
        using var tensors = Tensor.Scope();
        var bytes = Safetensors.Serialize(new Dictionary<string, Tensor>
        {
            ["x"] = Tensor.FromArray([1f, 2f, 3f], [3], Device.Cpu),
        });
        var error = Assert.Throws<InvalidDataException>(() =>
            Safetensors.Load(Write("cut.safetensors", bytes[..^2])));
        Assert.Contains("run past the data section (10 bytes)", error.Message, StringComparison.Ordinal);
    }

    private static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Nn", "Fixtures", name);

    private static string Entry(string dtype, string shape, string offsets) =>
        $"{{\"a\":{{\"dtype\":\"{dtype}\",\"shape\":{shape},\"data_offsets\":{offsets}}}}}";

    /// <summary>8-byte little-endian length, the header (space-padded to 8 unless told not), then the data.</summary>
    private static byte[] Build(string json, byte[] data, bool pad = true)
    {
        var header = Encoding.UTF8.GetBytes(json);
        int length = pad ? (header.Length + 7) / 8 * 8 : header.Length;
        var file = new byte[8 + length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)length);
        header.CopyTo(file, 8);
        file.AsSpan(8 + header.Length, length - header.Length).Fill((byte)' ');
        data.CopyTo(file, 8 + length);
        return file;
    }

    private static byte[] FloatBytes(float[] values)
    {
        var bytes = new byte[4 * values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(4 * i), values[i]);
        }
        return bytes;
    }

    private static string HeaderOf(byte[] file)
    {
        int length = (int)BinaryPrimitives.ReadUInt64LittleEndian(file);
        return Encoding.UTF8.GetString(file, 8, length);
    }

    private string Write(string name, byte[] bytes)
    {
        string path = Path.Combine(_folder, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }
}
