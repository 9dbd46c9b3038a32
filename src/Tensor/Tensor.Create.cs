using MicrogradPlus.Backends;

namespace MicrogradPlus;

public sealed partial class Tensor
{
    private static ulong _seed = 0x5EED;
    private static long _draws;

    /// <summary>A tensor holding a copy of <paramref name="data"/> (row-major) with the given shape.</summary>
    /// <param name="data">The elements in row-major order; copied, so the array may change afterwards.</param>
    /// <param name="shape">The sizes of the axes; their product must equal <c>data.Length</c> (<c>[]</c> for a scalar).</param>
    /// <param name="device">Where the tensor lives; null for <see cref="Device.Default"/>.</param>
    /// <param name="requiresGrad">Whether <see cref="Backward(Tensor?, bool, bool)"/> computes a gradient for it (a leaf).</param>
    /// <returns>A new float32 tensor.</returns>
    /// <exception cref="ArgumentException">The shape does not match the data's length, or has a negative size.</exception>
    /// <example>
    /// A 2 × 3 matrix that takes part in autograd, and its gradient:
    /// <code>
    /// var x = Tensor.FromArray([1f, 2f, 3f, 4f, 5f, 6f], [2, 3], Device.Cpu, requiresGrad: true);
    /// var y = (x * x).Sum();
    /// y.Backward();
    /// float[] grad = x.Grad!.ToArray(); // 2x: [2, 4, 6, 8, 10, 12]
    /// </code>
    /// </example>
    public static Tensor FromArray(float[] data, int[] shape, Device? device = null, bool requiresGrad = false)
    {
        ArgumentNullException.ThrowIfNull(data);
        var result = Empty(CheckData(data.Length, shape), DType.Float32, device ?? Device.Default);
        result.Storage.Float32!.CopyFrom(data);
        result.RequiresGrad = requiresGrad;
        return result;
    }

    /// <summary>A float64 tensor holding a copy of <paramref name="data"/> (row-major) with the given shape.</summary>
    /// <param name="data">The elements in row-major order; copied.</param>
    /// <param name="shape">The sizes of the axes; their product must equal <c>data.Length</c>.</param>
    /// <param name="device">Where the tensor lives; null for <see cref="Device.Default"/>.</param>
    /// <param name="requiresGrad">Whether backward computes a gradient for it.</param>
    /// <returns>A new float64 tensor (for gradient checks and references).</returns>
    public static Tensor FromArray(double[] data, int[] shape, Device? device = null, bool requiresGrad = false)
    {
        ArgumentNullException.ThrowIfNull(data);
        var result = Empty(CheckData(data.Length, shape), DType.Float64, device ?? Device.Default);
        result.Storage.Float64!.CopyFrom(data);
        result.RequiresGrad = requiresGrad;
        return result;
    }

    /// <summary>
    /// An Int32 tensor (indices: class labels, gather and embedding indices) holding a copy of <paramref name="data"/>
    /// (row-major) with the given shape. Integer tensors never require grad.
    /// </summary>
    /// <param name="data">The values, row-major (copied).</param>
    /// <param name="shape">The sizes of the axes; their product must equal <c>data.Length</c>.</param>
    /// <param name="device">Where the tensor lives; null for <see cref="Device.Default"/>.</param>
    /// <returns>A new Int32 tensor of <paramref name="shape"/>.</returns>
    public static Tensor FromArray(int[] data, int[] shape, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        var result = Empty(CheckData(data.Length, shape), DType.Int32, device ?? Device.Default);
        result.Storage.Int32!.CopyFrom(data);
        return result;
    }

    /// <summary>A zero-dimensional tensor holding <paramref name="value"/>.</summary>
    /// <param name="value">The one element.</param>
    /// <param name="device">Where the tensor lives; null for <see cref="Device.Default"/>.</param>
    /// <param name="requiresGrad">Whether backward computes a gradient for it.</param>
    /// <returns>A new tensor of shape <c>[]</c>.</returns>
    public static Tensor Scalar(float value, Device? device = null, bool requiresGrad = false) =>
        FromArray([value], [], device, requiresGrad);

    /// <summary>Zeros of the given shape on the default device.</summary>
    /// <param name="shape">The sizes of the axes.</param>
    /// <returns>A new float32 tensor of zeros.</returns>
    public static Tensor Zeros(params int[] shape) => Full(shape, 0f);

    /// <summary>Zeros of the given shape.</summary>
    /// <param name="shape">The sizes of the axes.</param>
    /// <param name="device">Where the tensor lives; null for <see cref="Device.Default"/>.</param>
    /// <param name="dtype">The element type.</param>
    /// <param name="requiresGrad">Whether backward computes a gradient for it.</param>
    /// <returns>A new tensor of zeros.</returns>
    public static Tensor Zeros(int[] shape, Device? device = null, DType dtype = DType.Float32,
        bool requiresGrad = false) =>
        Full(shape, 0f, device, dtype, requiresGrad);

    /// <summary>
    /// A tensor of the given shape whose contents are undefined (pooled memory, as <c>torch.empty</c>): for outputs
    /// that will be overwritten. Costs no kernel launch.
    /// </summary>
    /// <param name="shape">The sizes of the axes.</param>
    /// <param name="device">Where the tensor lives; null for <see cref="Device.Default"/>.</param>
    /// <param name="dtype">The element type.</param>
    /// <returns>A new tensor whose elements are whatever the pooled buffer held.</returns>
    public static Tensor Uninitialized(int[] shape, Device? device = null, DType dtype = DType.Float32) =>
        Empty(CheckShape(shape), dtype, device ?? Device.Default);

    /// <summary>Ones of the given shape on the default device.</summary>
    /// <param name="shape">The sizes of the axes.</param>
    /// <returns>A new float32 tensor of ones.</returns>
    public static Tensor Ones(params int[] shape) => Full(shape, 1f);

    /// <summary>Ones of the given shape.</summary>
    /// <param name="shape">The sizes of the axes.</param>
    /// <param name="device">Where the tensor lives; null for <see cref="Device.Default"/>.</param>
    /// <param name="dtype">The element type.</param>
    /// <param name="requiresGrad">Whether backward computes a gradient for it.</param>
    /// <returns>A new tensor of ones.</returns>
    public static Tensor Ones(int[] shape, Device? device = null, DType dtype = DType.Float32,
        bool requiresGrad = false) =>
        Full(shape, 1f, device, dtype, requiresGrad);

    /// <summary>A tensor of the given shape with every element <paramref name="value"/>.</summary>
    /// <param name="shape">The sizes of the axes.</param>
    /// <param name="value">Every element's value.</param>
    /// <param name="device">Where the tensor lives; null for <see cref="Device.Default"/>.</param>
    /// <param name="dtype">The element type.</param>
    /// <param name="requiresGrad">Whether backward computes a gradient for it.</param>
    /// <returns>A new tensor.</returns>
    public static Tensor Full(int[] shape, float value, Device? device = null, DType dtype = DType.Float32,
        bool requiresGrad = false)
    {
        var result = Empty(CheckShape(shape), dtype, device ?? Device.Default);
        if (dtype == DType.Float32)
        {
            Primitives.Fill(result.Storage.Float32!, value);
        }
        else if (dtype == DType.Float64)
        {
            Primitives.Fill(result.Storage.Float64!, (double)value);
        }
        else
        {
            Primitives.Fill(result.Storage.Int32!, (int)value);
        }
        result.RequiresGrad = requiresGrad;
        return result;
    }

    /// <summary>0, 1, …, end−1 (torch.arange(end)).</summary>
    /// <param name="end">The bound, excluded.</param>
    /// <param name="device">Where the tensor lives; null for <see cref="Device.Default"/>.</param>
    /// <returns>A new 1-D float32 tensor.</returns>
    public static Tensor Arange(float end, Device? device = null) => Arange(0f, end, 1f, device);

    /// <summary>start, start+step, … while below end (above, for a negative step), like torch.arange.</summary>
    /// <param name="start">The first element.</param>
    /// <param name="end">The bound, excluded.</param>
    /// <param name="step">The difference between neighbours; not zero.</param>
    /// <param name="device">Where the tensor lives; null for <see cref="Device.Default"/>.</param>
    /// <returns>A new 1-D float32 tensor.</returns>
    public static Tensor Arange(float start, float end, float step, Device? device = null)
    {
        if (step == 0f || float.IsNaN(step))
        {
            throw new ArgumentException($"arange step must be non-zero, got {step}", nameof(step));
        }
        if (!float.IsFinite(start) || !float.IsFinite(end) || float.IsInfinity(step))
        {
            throw new ArgumentException(
                $"arange: start, end and step must be finite, got start {start}, end {end}, step {step}");
        }
        int count = (int)Math.Max(0, Math.Ceiling((end - (double)start) / step));
        var result = Empty([count], DType.Float32, device ?? Device.Default);
        Primitives.Arange(result.Storage.Float32!, start, step);
        return result;
    }

    /// <summary>Sets the seed that <see cref="Rand"/> and <see cref="Randn"/> draw from when given none.</summary>
    /// <param name="seed">The generator's new seed.</param>
    public static void ManualSeed(ulong seed)
    {
        _seed = seed;
        Interlocked.Exchange(ref _draws, 0);
    }

    /// <summary>
    /// Uniform numbers in [0, 1). With a seed, the same numbers on every device; without one, the next draw from the
    /// generator that <see cref="ManualSeed"/> resets.
    /// </summary>
    /// <param name="shape">The sizes of the axes.</param>
    /// <param name="seed">A seed for these numbers alone, or null to draw from the shared generator.</param>
    /// <param name="device">Where the tensor lives; null for <see cref="Device.Default"/>.</param>
    /// <param name="dtype">The element type.</param>
    /// <param name="requiresGrad">Whether backward computes a gradient for it.</param>
    /// <returns>A new tensor of uniform numbers.</returns>
    public static Tensor Rand(int[] shape, ulong? seed = null, Device? device = null, DType dtype = DType.Float32,
        bool requiresGrad = false) =>
        Random(shape, seed, device, dtype, requiresGrad, normal: false);

    /// <summary>Standard normal numbers; seeding as for <see cref="Rand"/>.</summary>
    /// <param name="shape">The sizes of the axes.</param>
    /// <param name="seed">A seed for these numbers alone, or null to draw from the shared generator.</param>
    /// <param name="device">Where the tensor lives; null for <see cref="Device.Default"/>.</param>
    /// <param name="dtype">The element type.</param>
    /// <param name="requiresGrad">Whether backward computes a gradient for it.</param>
    /// <returns>A new tensor of normal numbers.</returns>
    public static Tensor Randn(int[] shape, ulong? seed = null, Device? device = null, DType dtype = DType.Float32,
        bool requiresGrad = false) =>
        Random(shape, seed, device, dtype, requiresGrad, normal: true);

    /// <summary>An uninitialised contiguous tensor (used by ops, which overwrite every element).</summary>
    internal static Tensor Empty(int[] shape, DType dtype, Device device) =>
        Empty(shape, Shapes.ContiguousStrides(shape), dtype, device);

    /// <summary>
    /// An uninitialised tensor of <paramref name="shape"/> with the given contiguous <paramref name="strides"/>, for a
    /// caller making many tensors of one shape (they may share the arrays: tensors never write to them).
    /// </summary>
    internal static Tensor Empty(int[] shape, int[] strides, DType dtype, Device device)
    {
        int size = Shapes.Size(shape);
        // Unguarded: the constructor guards the lease when no scope takes the tensor.
        var storage = dtype switch
        {
            DType.Float32 => new Storage(device.Pool.Rent<float>(size, guarded: false)),
            DType.Float64 => new Storage(device.Pool.Rent<double>(size, guarded: false)),
            _ => new Storage(device.Pool.Rent<int>(size, guarded: false)),
        };
        return new Tensor(storage, shape, strides, 0);
    }

    private static Tensor Random(int[] shape, ulong? seed, Device? device, DType dtype, bool requiresGrad, bool normal)
    {
        ulong stream = seed ?? _seed + 0x9E3779B97F4A7C15UL * (ulong)Interlocked.Increment(ref _draws);
        var target = device ?? Device.Default;
        var values = Empty(CheckShape(shape), DType.Float32, target);
        if (normal)
        {
            Primitives.Normal(values.Storage.Float32!, stream);
        }
        else
        {
            Primitives.Uniform(values.Storage.Float32!, stream);
        }
        if (dtype == DType.Float32)
        {
            values.RequiresGrad = requiresGrad;
            return values;
        }
        using (values)
        {
            using var noGrad = Autograd.NoGrad();
            var result = values.To(DType.Float64);
            result.RequiresGrad = requiresGrad;
            return result;
        }
    }

    private static int[] CheckShape(int[] shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        foreach (int d in shape)
        {
            if (d < 0)
            {
                throw new ArgumentException($"shape {Shapes.Format(shape)} has a negative dimension", nameof(shape));
            }
        }
        return (int[])shape.Clone();
    }

    private static int[] CheckData(int length, int[] shape)
    {
        var checkedShape = CheckShape(shape);
        int size = Shapes.Size(checkedShape);
        if (size != length)
        {
            throw new ArgumentException(
                $"{length} values do not fill shape {Shapes.Format(shape)} ({size} elements)", nameof(shape));
        }
        return checkedShape;
    }
}
