using System.Buffers;
using System.Text.Json;
using System.Text.Unicode;

namespace MicrogradPlus.Nn;

// The header's JSON text, read from the stream through a window rather than copied whole: a header of many small
// entries then costs the reader its records and names, not another copy of its text. The window holds at least one
// whole member of the outermost object at a time (for a longer one, as a megabyte-long name, it grows to the whole
// text), so an entry is read with the reader's ordinary calls once it is in.
public static partial class Safetensors
{
    private sealed class HeaderText
    {
        private const int FirstWindowBytes = 64 * 1024;

        private readonly Stream _stream;
        private readonly long _start;
        private byte[] _window;
        private int _filled; // bytes of the window that hold text
        private int _read; // bytes of the header read so far
        private bool _validate;
        private int _unchecked; // bytes at the window's end that begin a UTF-8 sequence the next read completes

        /// <summary>The <paramref name="length"/> bytes of header text at the stream's position.</summary>
        public HeaderText(Stream stream, int length)
        {
            _stream = stream;
            _start = stream.Position;
            Length = length;
            _window = new byte[Math.Min(length, FirstWindowBytes)];
        }

        /// <summary>The header's length in bytes.</summary>
        public int Length { get; }

        /// <summary>The stream position just after the header.</summary>
        public long End => _start + Length;

        /// <summary>The window: what a reader from <see cref="Begin"/> or <see cref="More"/> reads, from index 0.</summary>
        public byte[] Window => _window;

        private bool AllRead => _read == Length;

        /// <summary>
        /// A reader of the text from its first byte; with <paramref name="validate"/>, every byte read is checked to
        /// be UTF-8 first.
        /// </summary>
        public Utf8JsonReader Begin(bool validate)
        {
            _stream.Position = _start;
            _filled = _read = _unchecked = 0;
            _validate = validate;
            Fill();
            return new Utf8JsonReader(_window.AsSpan(0, _filled), AllRead, default);
        }

        /// <summary>
        /// Keeps the text <paramref name="reader"/> has not consumed, moved to the window's start, and reads more after
        /// it (the window becomes the whole text's size when that text fills it); <paramref name="reader"/> goes on
        /// from where it stood.
        /// False when the whole text has been read.
        /// </summary>
        public bool More(ref Utf8JsonReader reader)
        {
            if (AllRead)
            {
                return false;
            }
            int consumed = (int)reader.BytesConsumed;
            var state = reader.CurrentState;
            _filled -= consumed;
            Array.Copy(_window, consumed, _window, 0, _filled);
            if (_filled == _window.Length)
            {
                // A member longer than the window: hold the whole text from now on, one copy at most (growing by
                // steps would allocate about twice the text on the way).
                Array.Resize(ref _window, Length);
            }
            Fill();
            reader = new Utf8JsonReader(_window.AsSpan(0, _filled), AllRead, state);
            return true;
        }

        /// <summary>
        /// Whether another member of the outermost object follows, <paramref name="reader"/> standing just before it
        /// (or before the object's end); when one does, all of it is in the window.
        /// </summary>
        public bool NextMember(ref Utf8JsonReader reader)
        {
            while (true)
            {
                var probe = reader;
                if (probe.Read())
                {
                    if (probe.TokenType != JsonTokenType.PropertyName)
                    {
                        return false;
                    }
                    if (probe.Read() && probe.TrySkip())
                    {
                        return true;
                    }
                }
                if (!More(ref reader))
                {
                    throw Invalid("the header ends inside a member"); // not after CheckSyntaxAndCountNames
                }
            }
        }

        private void Fill()
        {
            int count = Math.Min(_window.Length - _filled, Length - _read);
            ReadExactly(_stream, _window.AsSpan(_filled, count));
            _filled += count;
            _read += count;
            if (_validate)
            {
                CheckUtf8(_window.AsSpan(_filled - count - _unchecked, count + _unchecked));
            }
        }

        /// <summary>Checks the bytes are UTF-8, but for a sequence cut short at their end that more text completes.</summary>
        private void CheckUtf8(ReadOnlySpan<byte> bytes)
        {
            Span<char> scratch = stackalloc char[1024];
            while (true)
            {
                var status = Utf8.ToUtf16(bytes, scratch, out int read, out _, replaceInvalidSequences: false,
                    isFinalBlock: AllRead);
                bytes = bytes[read..];
                switch (status)
                {
                    case OperationStatus.DestinationTooSmall:
                        continue;
                    case OperationStatus.NeedMoreData:
                        _unchecked = bytes.Length;
                        return;
                    case OperationStatus.Done:
                        _unchecked = 0;
                        return;
                    default:
                        throw Invalid("the header is not valid UTF-8");
                }
            }
        }
    }
}
