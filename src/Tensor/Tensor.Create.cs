using MicrogradPlus.Backends;

namespace MicrogradPlus;

public sealed partial class Tensor
{
    private static ulong _seed = 0x5EED;
    private static long _draws;

    /// <summary>A tensor holding a copy of <paramref name="data"/> (row-major) with the given shape.</summary>
    public static Tensor FromArray(float[] data, int[] shape, Device? device = null, bool requiresGrad = false)
    {
        ArgumentNullException.ThrowIfNull(data);
        var result = Empty(CheckData(data.Length, shape), DType.Float32, device ?? Device.Default);
        result.Storage.Float32!.CopyFrom(data);
        result.RequiresGrad = requiresGrad;
        return result;
    }

    /// <summary>A float64 tensor holding a copy of <paramref name="data"/> (row-major) with the given shape.</summary>
    public static Tensor FromArray(double[] data, int[] shape, Device? device = null, bool requiresGrad = false)
    {
        ArgumentNullException.ThrowIfNull(data);
        var result = Empty(CheckData(data.Length, shape), DType.Float64, device ?? Device.Default);
        result.Storage.Float64!.CopyFrom(data);
        result.RequiresGrad = requiresGrad;
        return result;
    }

    /// <summary>A zero-dimensional tensor holding <paramref name="value"/>.</summary>
    public static Tensor Scalar(float value, Device? device = null, bool requiresGrad = false) =>
        FromArray([value], [], device, requiresGrad);

    /// <summary>Zeros of the given shape on the default device.</summary>
    public static Tensor Zeros(params int[] shape) => Full(shape, 0f);

    /// <summary>Zeros of the given shape.</summary>
    public static Tensor Zeros(int[] shape, Device? device, DType dtype = DType.Float32, bool requiresGrad = false) =>
        Full(shape, 0f, device, dtype, requiresGrad);

    /// <summary>
    /// A tensor of the given shape whose contents are undefined (pooled memory, as <c>torch.empty</c>): for outputs
    /// that will be overwritten. Costs no kernel launch.
    /// </summary>
    public static Tensor Uninitialized(int[] shape, Device? device = null, DType dtype = DType.Float32) =>
        Empty(CheckShape(shape), dtype, device ?? Device.Default);

    /// <summary>Ones of the given shape on the default device.</summary>
    public static Tensor Ones(params int[] shape) => Full(shape, 1f);

    /// <summary>Ones of the given shape.</summary>
    public static Tensor Ones(int[] shape, Device? device, DType dtype = DType.Float32, bool requiresGrad = false) =>
        Full(shape, 1f, device, dtype, requiresGrad);

    /// <summary>A tensor of the given shape with every element <paramref name="value"/>.</summary>
    public static Tensor Full(int[] shape, float value, Device? device = null, DType dtype = DType.Float32,
        bool requiresGrad = false)
    {
        var result = Empty(CheckShape(shape), dtype, device ?? Device.Default);
        if (dtype == DType.Float32)
        {
            Primitives.Fill(result.Storage.Float32!, value);
        }
        else
        {
            Primitives.Fill(result.Storage.Float64!, (double)value);
        }
        result.RequiresGrad = requiresGrad;
        return result;
    }

    /// <summary>0, 1, …, end−1 (torch.arange(end)).</summary>
    public static Tensor Arange(float end, Device? device = null) => Arange(0f, end, 1f, device);

    /// <summary>start, start+step, … while below end (above, for a negative step), like torch.arange.</summary>
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
    public static void ManualSeed(ulong seed)
    {
        _seed = seed;
        Interlocked.Exchange(ref _draws, 0);
    }

    /// <summary>
    /// Uniform numbers in [0, 1). With a seed, the same numbers on every device; without one, the next draw from the
    /// generator that <see cref="ManualSeed"/> resets.
    /// </summary>
    public static Tensor Rand(int[] shape, ulong? seed = null, Device? device = null, DType dtype = DType.Float32,
        bool requiresGrad = false) =>
        Random(shape, seed, device, dtype, requiresGrad, normal: false);

    /// <summary>Standard normal numbers; seeding as for <see cref="Rand"/>.</summary>
    public static Tensor Randn(int[] shape, ulong? seed = null, Device? device = null, DType dtype = DType.Float32,
        bool requiresGrad = false) =>
        Random(shape, seed, device, dtype, requiresGrad, normal: true);

    /// <summary>An uninitialised contiguous tensor (used by ops, which overwrite every element).</summary>
    internal static Tensor Empty(int[] shape, DType dtype, Device device)
    {
        int size = Shapes.Size(shape);
        // Unguarded: the constructor guards the lease when no scope takes the tensor.
        var storage = dtype == DType.Float32
            ? new Storage(device.Pool.Rent<float>(size, guarded: false))
            : new Storage(device.Pool.Rent<double>(size, guarded: false));
        return new Tensor(storage, shape, Shapes.ContiguousStrides(shape), 0);
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
