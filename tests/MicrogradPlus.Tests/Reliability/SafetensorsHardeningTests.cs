using System.Text;
using MicrogradPlus.Nn;
using Xunit;

namespace MicrogradPlus.Tests.Reliability;

/// <summary>
/// The safetensors reader against hostile headers: a megabyte-long name costs the reader a few times its size, not
/// one copy per use, and text a JSON parser accepts but .NET strings cannot hold is malformed data too.
/// </summary>
public class SafetensorsHardeningTests
{
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

    [Fact]
    public void Reader_allocates_at_most_four_times_the_file_size_plus_1_MB_for_a_1_MB_name()
    {
        var file = File($"{{\"{new string('n', 1 << 20)}\":{{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}}}",
            4);
        using var stream = new MemoryStream(file);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var loaded = Safetensors.Load(stream, Device.Cpu);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal([0f], loaded.Single().Value.ToArray());
        loaded.Single().Value.Dispose();
        Assert.True(allocated <= 4L * file.Length + (1 << 20),
            $"{file.Length} bytes of file, {allocated} bytes allocated");
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

    private static byte[] File(string header, int dataBytes)
    {
        byte[] json = Encoding.UTF8.GetBytes(header);
        var file = new byte[8 + json.Length + dataBytes];
        BitConverter.TryWriteBytes(file.AsSpan(0, 8), (long)json.Length);
        json.CopyTo(file, 8);
        return file;
    }
}
