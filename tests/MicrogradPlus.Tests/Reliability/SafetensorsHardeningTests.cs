using System.Text;
using MicrogradPlus.Nn;
using Xunit;

namespace MicrogradPlus.Tests.Reliability;

using Tensor = MicrogradPlus.Tensor;

/// <summary>
/// The safetensors reader against hostile headers: what it allocates stays within 4× the file's size + 1 MB whatever
/// the header holds, and text a JSON parser accepts but .NET strings cannot hold is malformed data too.
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

    public static TheoryData<string> Shapes => ["100000 empty tensors", "20000 tiny tensors", "a 1 MB name"];

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Reader_allocates_at_most_four_times_the_file_size_plus_1_MB(string shape)
    {
        var file = shape switch
        {
            "100000 empty tensors" => Many(100_000, empty: true),
            "20000 tiny tensors" => Many(20_000, empty: false),
            _ => File($"{{\"{new string('n', 1 << 20)}\":{{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}}}", 4),
        };
        using var stream = new MemoryStream(file);
        Dictionary<string, Tensor>? loaded = null;
        long before = GC.GetAllocatedBytesForCurrentThread();
        try
        {
            loaded = Safetensors.Load(stream, Device.Cpu);
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.True(allocated <= 4L * file.Length + (1 << 20),
                $"{shape}: {file.Length} bytes of file, {allocated} bytes allocated");
        }
        finally
        {
            if (loaded is not null)
            {
                foreach (var tensor in loaded.Values)
                {
                    tensor.Dispose();
                }
            }
        }
    }

    private static byte[] Many(int count, bool empty)
    {
        var header = new StringBuilder("{");
        for (int i = 0; i < count; i++)
        {
            header.Append(i == 0 ? "" : ",").Append("\"t").Append(i).Append("\":{\"dtype\":\"F32\",\"shape\":[")
                .Append(empty ? 0 : 1).Append("],\"data_offsets\":[").Append(empty ? 0 : 4 * i).Append(',')
                .Append(empty ? 0 : 4 * i + 4).Append("]}");
        }
        return File(header.Append('}').ToString(), empty ? 0 : 4 * count);
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
