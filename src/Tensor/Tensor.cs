using System.Globalization;
using System.Text;
using MicrogradPlus.Backends;

namespace MicrogradPlus;

/// <summary>
/// An n-dimensional array of float32 (or float64) on a <see cref="Device"/>, with reverse-mode autograd. Shapes,
/// broadcasting, reductions and matmul follow PyTorch. Views (reshape of contiguous data, transpose, permute, expand,
/// slice, squeeze, unsqueeze) share memory. Tensors are <see cref="IDisposable"/>: dispose them, or create them
/// inside <see cref="Scope"/>, so device memory returns to the pool promptly.
/// </summary>
public sealed partial class Tensor : IDisposable
{
    private readonly int[] _shape;
    private Storage? _storage;
    private bool _requiresGrad;
    private TensorScope? _ownerScope;

    internal Tensor(Storage storage, int[] shape, int[] strides, int offset)
    {
        _storage = storage;
        _shape = shape;
        Strides = strides;
        Offset = offset;
        Size = Shapes.Size(shape);
        if (!TensorScope.Register(this))
        {
            storage.Guard(); // no scope will dispose it: dropped undisposed, its memory goes back to the pool
        }
    }

    /// <summary>Sizes, outermost first (a copy).</summary>
    public int[] Shape => (int[])_shape.Clone();

    /// <summary>Number of dimensions.</summary>
    public int Rank => _shape.Length;

    /// <summary>Number of elements.</summary>
    public int Size { get; }

    /// <summary>The device the data lives on.</summary>
    public Device Device => Storage.Device;

    /// <summary>The element type.</summary>
    public DType DType => Storage.DType;

    /// <summary>
    /// Whether gradients flow to this tensor. Settable on leaves (tensors not produced by an op); an op's result
    /// requires grad when any input does and grad mode is on.
    /// </summary>
    public bool RequiresGrad
    {
        get => _requiresGrad;
        set
        {
            if (value && DType == DType.Int32)
            {
                throw new InvalidOperationException(
                    $"an Int32 tensor of shape {Shapes.Format(_shape)} cannot require grad: only floating-point " +
                    "tensors have gradients; convert with To(DType.Float32) first");
            }
            if (!value && GradFn is not null)
            {
                throw new InvalidOperationException(
                    $"RequiresGrad can only be cleared on leaf tensors; this one comes from '{GradFn.Op}' — " +
                    "use Detach() for a tensor outside the graph");
            }
            _requiresGrad = value;
        }
    }

    /// <summary>The accumulated gradient after <see cref="Backward(Tensor?, bool, bool)"/>; null before.</summary>
    public Tensor? Grad { get; private set; }

    /// <summary>The op that produced this tensor in the autograd graph (null for leaves).</summary>
    public string? GradFnName => GradFn?.Op;

    /// <summary>Whether the tensor is a leaf of the graph (created by the user, not by a recorded op).</summary>
    public bool IsLeaf => GradFn is null;

    /// <summary>Whether <see cref="Dispose"/> has been called.</summary>
    public bool IsDisposed => _storage is null;

    /// <summary>Whether elements are stored in row-major order without gaps.</summary>
    public bool IsContiguous => Shapes.IsContiguous(_shape, Strides);

    internal int[] ShapeRef => _shape;

    internal int[] Strides { get; }

    internal int Offset { get; }

    internal Node? GradFn { get; set; }

    /// <summary>The scope that will dispose this tensor (null when none will).</summary>
    internal TensorScope? OwnerScope => Volatile.Read(ref _ownerScope);

    internal Storage Storage => _storage ?? throw new ObjectDisposedException(nameof(Tensor),
        $"a tensor of shape {Shapes.Format(_shape)} was used after Dispose");

    // How the kernels see this tensor (a StridedView of the storage's element type), made and bounds-checked once:
    // shape, strides and offset never change. One field serves the three element types: a tensor has only one.
    private object? _view;

    internal StridedView<float> F32 => ViewOf<float>(DType.Float32);

    internal StridedView<double> F64 => ViewOf<double>(DType.Float64);

    internal StridedView<int> I32 => ViewOf<int>(DType.Int32);

    private StridedView<T> ViewOf<T>(DType dtype) where T : unmanaged
    {
        var storage = Storage; // throws after Dispose, cached view or not
        return _view as StridedView<T> ?? (StridedView<T>)(_view = new StridedView<T>(
            storage.Buffer<T>() ?? throw DTypeError(dtype, storage.DType), _shape, Strides, Offset));
    }

    /// <summary>Opens a scope that disposes the tensors created inside it (see <see cref="TensorScope"/>).</summary>
    /// <returns>The new innermost scope of this thread; dispose it (<c>using</c>) to free what was made inside it.</returns>
    /// <example>
    /// A training step that leaves nothing behind but the parameters' new values and gradients:
    /// <code>
    /// using (Tensor.Scope())
    /// {
    ///     var loss = Functional.CrossEntropy(model.Forward(x), labels);
    ///     optimizer.ZeroGrad();
    ///     loss.Backward();
    ///     optimizer.Step();
    /// }
    /// </code>
    /// </example>
    public static TensorScope Scope() => new();

    /// <summary>Keeps this tensor alive past the innermost scope it was created in.</summary>
    /// <returns>This tensor, for chaining.</returns>
    public Tensor MoveToOuterScope()
    {
        OwnerScope?.MoveOut(this);
        return this;
    }

    /// <summary>Drops the gradient (PyTorch's zero_grad with set_to_none).</summary>
    public void ZeroGrad()
    {
        Grad?.Dispose();
        Grad = null;
    }

    /// <summary>The data as a row-major float array (float64 data is rounded, Int32 data converted).</summary>
    /// <returns>A new host array of <see cref="Size"/> elements.</returns>
    public float[] ToArray()
    {
        if (DType == DType.Float64)
        {
            return Array.ConvertAll(ToDoubleArray(), d => (float)d);
        }
        if (DType == DType.Int32)
        {
            return Array.ConvertAll(ToInt32Array(), i => (float)i);
        }
        using var dense = Materialize();
        var values = new float[Size];
        dense.Storage.Float32!.CopyTo(dense.Offset, values);
        return values;
    }

    /// <summary>The data as a row-major double array.</summary>
    /// <returns>A new host array of <see cref="Size"/> elements.</returns>
    public double[] ToDoubleArray()
    {
        if (DType == DType.Float32)
        {
            return Array.ConvertAll(ToArray(), f => (double)f);
        }
        if (DType == DType.Int32)
        {
            return Array.ConvertAll(ToInt32Array(), i => (double)i);
        }
        using var dense = Materialize();
        var values = new double[Size];
        dense.Storage.Float64!.CopyTo(dense.Offset, values);
        return values;
    }

    /// <summary>The data of an Int32 tensor as a row-major int array (waits for the device).</summary>
    /// <returns>A new host array of <see cref="Size"/> elements.</returns>
    /// <exception cref="InvalidOperationException">The tensor is not Int32 (convert with To(DType.Int32)).</exception>
    public int[] ToInt32Array()
    {
        if (DType != DType.Int32)
        {
            throw new InvalidOperationException(
                $"ToInt32Array needs an Int32 tensor, this one is {DType} of shape {Shapes.Format(_shape)}; " +
                "convert with To(DType.Int32) (which truncates toward zero) or read it with ToArray()");
        }
        using var dense = Materialize();
        var values = new int[Size];
        dense.Storage.Int32!.CopyTo(dense.Offset, values);
        return values;
    }

    /// <summary>The value of a one-element tensor.</summary>
    /// <returns>The single element as a float.</returns>
    public float Item()
    {
        if (Size != 1)
        {
            throw new InvalidOperationException(
                $"Item() needs a tensor with one element, this one has shape {Shapes.Format(_shape)} ({Size} elements)");
        }
        return ToArray()[0];
    }

    /// <summary>A tensor sharing this one's data, outside the autograd graph.</summary>
    /// <returns>A new tensor of this shape and dtype that does not require grad.</returns>
    public Tensor Detach()
    {
        Storage.AddReference();
        return new Tensor(Storage, _shape, Strides, Offset);
    }

    /// <summary>Releases this tensor's reference to its memory (the memory returns to the pool with its last view).</summary>
    public void Dispose()
    {
        var storage = Interlocked.Exchange(ref _storage, null);
        if (storage is null)
        {
            return;
        }
        storage.Release();
        Volatile.Write(ref _ownerScope, null);
        Grad?.Dispose();
        Grad = null;
        GradFn = null;
    }

    /// <summary>PyTorch-like: the values (abbreviated past 6 per dimension), then device, dtype and grad info.</summary>
    /// <returns>The tensor as text, over several lines for two or more dimensions.</returns>
    public override string ToString()
    {
        if (IsDisposed)
        {
            return $"tensor(<disposed>, shape={Shapes.Format(_shape)})";
        }
        var values = ToDoubleArray();
        var text = new StringBuilder("tensor(");
        AppendValues(text, values, 0, 0);
        text.Append(CultureInfo.InvariantCulture, $", shape={Shapes.Format(_shape)}, device={Device}");
        if (DType != DType.Float32)
        {
            text.Append(DType == DType.Float64 ? ", dtype=float64" : ", dtype=int32");
        }
        if (GradFn is not null)
        {
            text.Append(CultureInfo.InvariantCulture, $", grad_fn={GradFn.Op}");
        }
        else if (RequiresGrad)
        {
            text.Append(", requires_grad=True");
        }
        return text.Append(')').ToString();
    }

    internal static Exception DTypeError(DType expected, DType actual) => actual == DType.Int32 || expected == DType.Int32
        ? new InvalidOperationException(expected == DType.Int32
            ? $"expected an Int32 (index) tensor, got {actual}; convert with To(DType.Int32)"
            : $"this op needs a floating-point tensor, got an Int32 tensor; convert with To(DType.{expected})")
        : new InvalidOperationException($"internal: expected {expected} storage");

    /// <summary>A new tensor of another shape/strides over the same memory (a view).</summary>
    internal Tensor View(int[] shape, int[] strides, int offset)
    {
        Storage.AddReference();
        return new Tensor(Storage, shape, strides, offset);
    }

    /// <summary>
    /// This tensor if its elements are contiguous (a new reference to the same memory, offset kept), else a
    /// contiguous copy. Not recorded in the graph.
    /// </summary>
    internal Tensor Materialize() =>
        IsContiguous ? View(_shape, Strides, Offset) : Empty(_shape, DType, Device).CopyFrom(this);

    internal bool IsOwnedBy(TensorScope scope) => ReferenceEquals(Volatile.Read(ref _ownerScope), scope);

    internal void EnterScope(TensorScope scope) => Volatile.Write(ref _ownerScope, scope);

    /// <summary>Ends <paramref name="scope"/>'s ownership; true when it owned this tensor (only one caller wins).</summary>
    internal bool LeaveScope(TensorScope scope) =>
        ReferenceEquals(Interlocked.CompareExchange(ref _ownerScope, null, scope), scope);

    internal void LeaveAnyScope() => Volatile.Write(ref _ownerScope, null);

    /// <summary>Dropped undisposed from now on, the memory goes back to the pool (nothing after Dispose).</summary>
    internal void GuardStorage() => _storage?.Guard();

    /// <summary>Assigns the gradient of a leaf; the tensor is owned by the leaf from now on.</summary>
    internal void SetGrad(Tensor? grad)
    {
        if (grad is not null)
        {
            TensorScope.Disown(grad);
        }
        Grad = grad;
    }

    private void AppendValues(StringBuilder text, double[] values, int dim, int start)
    {
        if (Rank == 0)
        {
            text.Append(FormatValue(values[0], DType));
            return;
        }
        int count = _shape[dim];
        int inner = 1;
        for (int d = dim + 1; d < Rank; d++)
        {
            inner *= _shape[d];
        }
        text.Append('[');
        for (int i = 0; i < count; i++)
        {
            if (count > 6 && i == 3)
            {
                text.Append("..., ");
                i = count - 3;
            }
            if (dim == Rank - 1)
            {
                text.Append(FormatValue(values[start + i], DType));
            }
            else
            {
                AppendValues(text, values, dim + 1, start + i * inner);
            }
            if (i < count - 1)
            {
                text.Append(", ");
            }
        }
        text.Append(']');
    }

    private static string FormatValue(double v, DType dtype) =>
        v.ToString(dtype == DType.Int32 ? "0" : "0.0000", CultureInfo.InvariantCulture);
}
