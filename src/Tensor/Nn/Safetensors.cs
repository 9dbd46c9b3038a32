namespace MicrogradPlus.Nn;

/// <summary>
/// Reads and writes the safetensors format (Hugging Face's, as PyTorch users save state dicts with
/// <c>safetensors.torch.save_file</c>): an 8-byte little-endian header length N, N bytes of UTF-8 JSON describing
/// each tensor, then the raw little-endian data of all tensors back to back.
/// </summary>
/// <remarks>
/// The header maps each name to <c>{"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}</c> (offsets
/// relative to the start of the data section) and may hold <c>"__metadata__"</c>, a map of strings to strings.
/// Files are written exactly as the reference implementation writes them: tensors ordered by descending dtype
/// alignment (F64 before F32) and then by name, compact JSON with <c>__metadata__</c> first (its keys sorted), the
/// header padded with spaces to a multiple of 8 bytes so the data is aligned. Loading validates everything before it
/// allocates: a malformed file raises <see cref="InvalidDataException"/> naming what is wrong. Whatever the header
/// holds, reading its tensor entries allocates a few times the header's size at most (it is read token by token
/// through a window of the text, each name made a string once; a header of many short <c>__metadata__</c> keys costs up
/// to about 8× their text, since they come back as a dictionary), and loading adds each tensor's own objects (about
/// 160 bytes for an empty tensor, which holds no device memory; about 200 for one with data) and host windows of at
/// most 2.5 MiB in all. The tensors of one element type share one device allocation, each with its own storage
/// (writes, versions and disposal are its own): the pool counts it as one live buffer, which goes back when the last
/// of those tensors is disposed or dropped, so a tensor kept from a loaded file keeps its type's whole allocation.
/// F32 and F64 load as float32 and float64 tensors; F16 and BF16 (common in PyTorch checkpoints) are widened to
/// float32.
/// </remarks>
public static partial class Safetensors
{
    /// <summary>The largest header accepted (the reference implementation's limit): 100 MB.</summary>
    public const long MaxHeaderBytes = 100_000_000;

    /// <summary>The key of the free-form string map in the header.</summary>
    public const string MetadataKey = "__metadata__";

    // The other parts: Safetensors.Save.cs writes, Safetensors.Load.cs reads, Safetensors.Header.cs parses and checks
    // the header (Safetensors.HeaderEntry.cs one entry, Safetensors.HeaderText.cs the window it reads through).

    private static InvalidDataException Invalid(string message) => new($"safetensors: {message}");
}
