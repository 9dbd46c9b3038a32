using System.Text;
using MicrogradPlus.Nn;
using Xunit;

namespace MicrogradPlus.Tests.Reliability;

/// <summary>
/// The safetensors reader against hostile headers: a megabyte-long name costs the reader a few times its size, not
/// one copy per use, many empty or tiny tensors a few times their entries' text (tiny ones share one device
/// allocation), and text a JSON parser accepts but .NET strings cannot hold is malformed data too.
/// </summary>
public sealed class SafetensorsHardeningTests : IDisposable
{
    private readonly string _folder =
        Directory.CreateTempSubdirectory("microgradplus-safetensors-hardening-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void Header_name_with_a_lone_surrogate_escape_is_invalid_data()
    {
        foreach (string name in new[] { "\\ud800", "a\\udfffb", "\\ud800\\ud800" })
        {
            var file = File($"{{\"{name}\":{{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}}}", 4);
            Assert.Throws<InvalidDataException>(() => Safetensors.Load(new MemoryStream(file), Device.Cpu));
        }
        var metadata = File("{\"__metadata__\":{\"k\":\"\\udc00\"}}", 0);
        Assert.Throws<InvalidDataException>(() => Safetensors.Load(new MemoryStream(metadata), Device.Cpu));
    }

    /// <summary>
    /// Hostile shapes of header, each a few megabytes: many empty tensors (5.8 MB), many one-element tensors (1.4 MB),
    /// one megabyte-long name.
    /// </summary>
    public static TheoryData<string> HostileFiles => ["100000 empty tensors", "20000 tiny tensors", "a 1 MB name"];

    [Theory]
    [MemberData(nameof(HostileFiles))]
    public void Reader_allocates_at_most_four_times_the_file_size_plus_1_MB(string shape)
    {
        string path = Path.Combine(_folder, "hostile.safetensors");
        int tensors = WriteHostile(path, shape);
        long fileBytes = new FileInfo(path).Length;
        long bound = 4 * fileBytes + (1 << 20);
        LoadAndDispose(WarmUp()); // the first call's one-time costs (code, the device) are not the reader's

        long before = GC.GetAllocatedBytesForCurrentThread();
        var metadata = Safetensors.LoadMetadata(path);
        long headerOnly = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.True(headerOnly <= bound,
            $"{shape}: {fileBytes} bytes of file, {headerOnly} allocated reading the header");
        Assert.Equal("x", metadata["shape"]);

        // The whole load, tensors included, with the pool first emptied (its device allocations count), then again
        // with the pool holding what the first load gave back.
        foreach (string pool in new[] { "cold", "warm" })
        {
            if (pool == "cold")
            {
                Device.Cpu.Pool.Trim();
            }
            before = GC.GetAllocatedBytesForCurrentThread();
            var loaded = Safetensors.Load(path, Device.Cpu);
            long whole = GC.GetAllocatedBytesForCurrentThread() - before;
            try
            {
                Assert.Equal(tensors, loaded.Count);
                Assert.All(loaded.Values, t => Assert.Equal(DType.Float32, t.DType));
                if (shape == "20000 tiny tensors")
                {
                    Assert.Equal([19999f], loaded["t019999"].ToArray());
                    Assert.Equal([7f], loaded["t000007"].ToArray());
                }
            }
            finally
            {
                foreach (var tensor in loaded.Values)
                {
                    tensor.Dispose();
                }
            }
            TestContext.Current.TestOutputHelper?.WriteLine(
                $"{shape}, {pool} pool: {fileBytes} bytes of file, {whole} allocated loading it (bound {bound})");
            Assert.True(whole <= bound,
                $"{shape}, {pool} pool: {fileBytes} bytes of file, {tensors} tensors, {whole} allocated loading it");
        }
    }

    [Fact]
    public void Header_longer_than_the_reading_window_loads_and_its_faults_far_in_are_found()
    {
        // The reader takes the header through a 64 KiB window: names of two-, three- and four-byte characters put
        // some sequences across its edges, entries across them, and faults far past the first window.
        var header = new StringBuilder("{");
        var names = new List<string>();
        for (int i = 0; i < 3000; i++)
        {
            string name = $"é日😀{i}" + new string('ü', i % 7);
            names.Add(name);
            header.Append(i == 0 ? "" : ",").Append($"\"{name}\":{{\"dtype\":\"F32\",\"shape\":[1],")
                .Append($"\"data_offsets\":[{4 * i},{4 * i + 4}]}}");
        }
        string json = header.Append('}').ToString();
        Assert.InRange(Encoding.UTF8.GetByteCount(json), 3 << 16, 4 << 16);
        var data = new byte[4 * names.Count];
        for (int i = 0; i < names.Count; i++)
        {
            BitConverter.TryWriteBytes(data.AsSpan(4 * i), (float)i);
        }
        var file = File(json, data.Length);
        data.CopyTo(file, file.Length - data.Length);
        var loaded = Safetensors.Load(new MemoryStream(file), Device.Cpu);
        try
        {
            Assert.Equal(names, loaded.Keys);
            Assert.Equal([2999f], loaded[names[2999]].ToArray());
        }
        finally
        {
            foreach (var tensor in loaded.Values)
            {
                tensor.Dispose();
            }
        }

        int far = file.Length - data.Length - 1000; // in the last window
        var invalid = (byte[])file.Clone();
        invalid[far] = 0xFF;
        var error = Assert.Throws<InvalidDataException>(() => Safetensors.Load(new MemoryStream(invalid), Device.Cpu));
        Assert.Contains("not valid UTF-8", error.Message, StringComparison.Ordinal);
        var broken = (byte[])file.Clone();
        broken[Array.LastIndexOf(broken, (byte)'[', far)] = (byte)'{';
        error = Assert.Throws<InvalidDataException>(() => Safetensors.Load(new MemoryStream(broken), Device.Cpu));
        Assert.Contains("not valid JSON", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Header_naming_a_1_MB_name_twice_is_invalid_data_with_the_name_abbreviated()
    {
        string name = new('n', 1 << 20);
        var file = File($"{{\"{name}\":{{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}}," +
                        $"\"{name}\":{{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}}}}", 0);
        var error = Assert.Throws<InvalidDataException>(() => Safetensors.Load(new MemoryStream(file), Device.Cpu));
        Assert.Contains("twice", error.Message, StringComparison.Ordinal);
        Assert.True(error.Message.Length < 1000, $"a message of {error.Message.Length} characters");
    }

    [Fact]
    public void Entry_fields_in_any_order_escaped_or_unknown_and_long_shapes_load()
    {
        var data = new byte[12];
        BitConverter.TryWriteBytes(data, 1.5f);
        BitConverter.TryWriteBytes(data.AsSpan(4), -2.25);
        string json = "{\"w\":{\"data_offsets\":[4,12],\"extra\":[1,{\"x\":[]}],\"shape\":[],\"dtype\":\"F64\"}," +
            "\"a\":{\"dt\\u0079pe\":\"F32\",\"shape\":[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1]," +
            "\"data_offsets\":[0,4]},\"__metadata__\":null," +
            "\"e\":{\"dtype\":\"BF16\",\"shape\":[3,0],\"data_offsets\":[12,12]}}";
        var file = File(json, data.Length);
        data.CopyTo(file, file.Length - data.Length);

        var loaded = Safetensors.Load(new MemoryStream(file), out var metadata, Device.Cpu);
        try
        {
            Assert.Empty(metadata);
            Assert.Equal(Enumerable.Repeat(1, 20), loaded["a"].Shape);
            Assert.Equal([1.5f], loaded["a"].ToArray());
            Assert.Empty(loaded["w"].Shape);
            Assert.Equal([-2.25], loaded["w"].ToDoubleArray());
            Assert.Equal([3, 0], loaded["e"].Shape);
            Assert.Equal(["a", "w", "e"], loaded.Keys); // in the order of the data section
        }
        finally
        {
            foreach (var tensor in loaded.Values)
            {
                tensor.Dispose();
            }
        }
    }

    public static TheoryData<string, string> MalformedText => new()
    {
        { "", "not valid JSON" },
        { "        ", "not valid JSON" },
        { "{} x", "not valid JSON" },
        { "{\"a\":{\"dtype\":\"X\",\"shape\":[1],\"data_offsets\":[0,4]},", "not valid JSON" },
        { "{\"a\":{\"x\":" + new string('[', 70) + new string(']', 70) + "}}", "not valid JSON" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[[2]],\"data_offsets\":[0,8]}}", "dimension 0 = [2], not a" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[2, {}],\"data_offsets\":[0,8]}}", "shape [2, {}] has dimension 1" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[1e0],\"data_offsets\":[0,4]}}", "dimension 0 = 1e0, not a" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[3000000000],\"data_offsets\":[0,4]}}", "is over 2^31 - 1" },
        { "{\"a\":{\"dtype\":3,\"shape\":[1],\"data_offsets\":[0,4]}}", "\"dtype\" is a JSON number, not a string" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", "tensor 'a': its entry has no \"data_offsets\"" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4]}}", "[4] is not two non-negative" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":{}}}", "is a JSON object, not an array" },
        { "{\"__metadata__\":{\"k\":\"v\",\"k\":\"w\"}}", "'__metadata__' names 'k' twice" },
        { "{\"__metadata__\":{},\"__metadata__\":{}}", "the header names '__metadata__' twice" },
        { "null", "is a JSON null, not an object" },
    };

    [Theory]
    [MemberData(nameof(MalformedText))]
    public void Malformed_header_text_is_invalid_data_saying_what_is_wrong(string json, string message)
    {
        var file = File(json, 8);
        var error = Assert.Throws<InvalidDataException>(() => Safetensors.Load(new MemoryStream(file), Device.Cpu));
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Mutated_files_load_or_are_invalid_data()
    {
        // A file with every dtype and metadata, then 3,000 variants with one to three bytes changed (towards JSON's
        // own characters more often than not) or cut short: each loads or raises InvalidDataException, nothing else.
        var halves = new byte[4];
        string json = "{\"__metadata__\":{\"format\":\"pt\"}," +
            "\"d\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,8]}," +
            "\"f\":{\"dtype\":\"F32\",\"shape\":[2,1],\"data_offsets\":[8,16]}," +
            "\"h\":{\"dtype\":\"F16\",\"shape\":[1],\"data_offsets\":[16,18]}," +
            "\"b\":{\"dtype\":\"BF16\",\"shape\":[1],\"data_offsets\":[18,20]}}";
        var original = File(json, 20);
        Assert.Equal(4, Load(original));
        byte[] alphabet = "{}[]\",:-.0123456789eE \\u"u8.ToArray();
        var random = new Random(16);
        int loaded = 0, invalid = 0;
        for (int trial = 0; trial < 3000; trial++)
        {
            var file = (byte[])original.Clone();
            if (trial % 10 == 9)
            {
                file = file[..random.Next(file.Length)];
            }
            else
            {
                for (int changes = random.Next(1, 4); changes > 0; changes--)
                {
                    file[random.Next(file.Length)] = random.Next(3) == 0
                        ? (byte)random.Next(256)
                        : alphabet[random.Next(alphabet.Length)];
                }
            }
            try
            {
                Load(file);
                loaded++;
            }
            catch (InvalidDataException)
            {
                invalid++;
            }
        }
        Assert.Equal(3000, loaded + invalid);
        Assert.InRange(invalid, 1000, 3000);

        static int Load(byte[] file)
        {
            var tensors = Safetensors.Load(new MemoryStream(file), Device.Cpu);
            foreach (var tensor in tensors.Values)
            {
                tensor.Dispose();
            }
            return tensors.Count;
        }
    }

    /// <summary>Writes one of the hostile files (float32 tensors); returns how many tensors it holds.</summary>
    private static int WriteHostile(string path, string shape)
    {
        var header = new StringBuilder("{\"__metadata__\":{\"shape\":\"x\"}");
        int count = shape switch { "100000 empty tensors" => 100_000, "20000 tiny tensors" => 20_000, _ => 1 };
        for (int i = 0; i < count; i++)
        {
            string name = count == 1 ? new string('n', 1 << 20) : $"t{i:D6}";
            int begin = shape == "20000 tiny tensors" ? 4 * i : 0;
            int size = shape == "100000 empty tensors" ? 0 : 1;
            header.Append($",\"{name}\":{{\"dtype\":\"F32\",\"shape\":[{size}],")
                .Append($"\"data_offsets\":[{begin},{begin + 4 * size}]}}");
        }
        var data = new byte[shape == "100000 empty tensors" ? 0 : 4 * count];
        for (int i = 0; i < data.Length / 4; i++)
        {
            BitConverter.TryWriteBytes(data.AsSpan(4 * i), (float)i);
        }
        var file = File(header.Append('}').ToString(), data.Length);
        data.CopyTo(file, file.Length - data.Length);
        System.IO.File.WriteAllBytes(path, file);
        return count;
    }

    /// <summary>A small file with every kind of entry and metadata, to load once before measuring.</summary>
    private string WarmUp()
    {
        string path = Path.Combine(_folder, "warm-up.safetensors");
        System.IO.File.WriteAllBytes(path, File("{\"__metadata__\":{\"k\":\"v\"}," +
            "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}," +
            "\"b\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[4,4]}}", 4));
        return path;
    }

    private static void LoadAndDispose(string path)
    {
        Safetensors.LoadMetadata(path);
        foreach (var tensor in Safetensors.Load(path, Device.Cpu).Values)
        {
            tensor.Dispose();
        }
    }

    private static byte[] File(string header, int dataBytes)
    {
        byte[] json = Encoding.UTF8.GetBytes(header);
        var file = new byte[8 + json.Length + dataBytes];
        BitConverter.TryWriteBytes(file.AsSpan(0, 8), (long)json.Length);
        json.CopyTo(file, 8);
        return file;
    }
}
