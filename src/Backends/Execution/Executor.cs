using System.Numerics;
using ILGPU;
using MicrogradPlus.Kernels;

namespace MicrogradPlus.Backends;

/// <summary>
/// How a device runs the primitives, chosen once per device: <see cref="KernelExecutor"/> launches ILGPU kernels
/// (CUDA, OpenCL, ILGPU's CPU accelerator), <see cref="HostExecutor"/> runs span loops over the CPU device's memory.
/// Both run the same operator structs and fused math from <c>MicrogradPlus.Kernels</c>; neither states an op's math.
/// Arguments arrive checked by <see cref="Primitives"/>: an executor only decides how the work is spread, and counts
/// each launch (or host loop standing in for one) through <see cref="Launched"/>.
/// </summary>
internal abstract class Executor(Device device)
{
    /// <summary>The device whose memory this executor works on.</summary>
    public Device Device { get; } = device;

    /// <summary>Counts one launch: the one place launches are counted.</summary>
    protected void Launched() => Device.CountLaunch();

    /// <summary>Runs <paramref name="body"/> for every index in [0, <paramref name="length"/>).</summary>
    public abstract void Run<TBody>(TBody body, int length) where TBody : struct, IElementBody;

    /// <summary>y = op(x) element-wise into contiguous y; x is non-empty.</summary>
    public abstract void Map<T, TOp>(StridedView<T> x, DeviceBuffer<T> y, TOp op)
        where T : unmanaged
        where TOp : struct, IUnaryOp<T>;

    /// <summary>c = op(a, b) element-wise into contiguous c; a and b are non-empty and already expanded to c's shape.</summary>
    public abstract void Zip<T, TOp>(StridedView<T> a, StridedView<T> b, DeviceBuffer<T> c, TOp op)
        where T : unmanaged
        where TOp : struct, IBinaryOp<T>;

    /// <summary>Every element of a non-empty <paramref name="source"/> into <paramref name="destination"/> (same shape).</summary>
    public abstract void Copy<T>(StridedView<T> source, StridedView<T> destination) where T : unmanaged;

    /// <summary>
    /// One output per row of <paramref name="shape"/>, each times <paramref name="scale"/>; there is at least one
    /// output. A <paramref name="strategy"/> other than Auto names the kernel shape to run.
    /// </summary>
    public abstract void Reduce<T, TOp>(StridedView<T> x, ReduceShape shape, DeviceBuffer<T> y, T scale,
        ReduceStrategy strategy, TOp op)
        where T : unmanaged, INumber<T>
        where TOp : struct, IReduceOp<T>;

    /// <summary>
    /// C = activation(op(A)·op(B) (+ bias)) for non-empty operands (<see cref="NoActivation{T}"/>: none);
    /// <paramref name="kernel"/> other than Auto is run as named.
    /// </summary>
    public abstract void MatMul<T, TAct>(MatMulOperands<T> m, MatMulKernel kernel)
        where T : unmanaged, INumber<T>
        where TAct : struct, IUnaryOp<T>;

    /// <summary>Softmax (or log-softmax) of the non-empty rows of <paramref name="xShape"/> into y.</summary>
    public abstract void Softmax<T, TMath>(ArrayView<T> x, ReduceShape xShape, ArrayView<T> y, ReduceShape yShape,
        bool log, ReduceStrategy strategy)
        where T : unmanaged, INumber<T>
        where TMath : struct, ILossMath<T>;

    /// <summary>The backward of <see cref="Softmax{T, TMath}"/> from its output y and the incoming gradient g.</summary>
    public abstract void SoftmaxBackward<T, TMath>(ArrayView<T> y, ArrayView<T> g, ReduceShape gShape,
        ArrayView<T> dx, ReduceShape yShape, bool log, ReduceStrategy strategy)
        where T : unmanaged, INumber<T>
        where TMath : struct, ILossMath<T>;

    /// <summary>Cross-entropy forward per row of logits [n, C]: the loss and the row's (max, log-sum-exp).</summary>
    public abstract void CrossEntropyRows<T, TMath>(StridedView<T> logits, ReduceShape rows, ArrayView<T> targets,
        ArrayView<T> loss, ArrayView<T> stats, ReduceStrategy strategy)
        where T : unmanaged, INumber<T>
        where TMath : struct, ILossMath<T>;

    /// <summary>Cross-entropy backward into contiguous dx [n, C] from the forward's row statistics.</summary>
    public abstract void CrossEntropyBackward<T, TMath>(StridedView<T> logits, ArrayView<T> targets,
        ArrayView<T> stats, ArrayView<T> gradOutput, T scale, ArrayView<T> dx)
        where T : unmanaged, INumber<T>
        where TMath : struct, ILossMath<T>;

    /// <summary>
    /// Layer normalization of <paramref name="rows"/> contiguous rows of <paramref name="count"/> into y, with each
    /// row's (mean, 1/std) into stats; <paramref name="affine"/>: times weight plus bias (each of the row's length).
    /// </summary>
    public abstract void LayerNorm<T, TMath>(ArrayView<T> x, ArrayView<T> weight, ArrayView<T> bias, ArrayView<T> y,
        ArrayView<T> stats, int rows, int count, T eps, bool affine)
        where T : unmanaged, INumber<T>
        where TMath : struct, ILossMath<T>;

    /// <summary>
    /// The backward of <see cref="LayerNorm{T, TMath}"/>: dx, and with <paramref name="affine"/> g·x̂ (whose column
    /// sums are the weight's gradient) into <paramref name="gradXHat"/>.
    /// </summary>
    public abstract void LayerNormBackward<T, TMath>(ArrayView<T> x, ArrayView<T> stats, ArrayView<T> g,
        ArrayView<T> weight, ArrayView<T> dx, ArrayView<T> gradXHat, int rows, int count, bool affine)
        where T : unmanaged, INumber<T>
        where TMath : struct, ILossMath<T>;

    /// <summary>
    /// Whether the fused row routines (<see cref="Softmax{T, TMath}"/>, <see cref="CrossEntropyRows{T, TMath}"/>)
    /// suit <paramref name="rows"/> rows of <paramref name="length"/>, or plain ops would spread them better.
    /// </summary>
    public virtual bool FusesRows(int rows, int length) => true;

    /// <summary>SGD updates of up to eight non-empty parameters of this device, as one launch.</summary>
    public abstract void Sgd(IReadOnlyList<Slice<SgdUpdate>> group, int total);

    /// <summary>Adam/AdamW updates of up to eight non-empty parameters of this device, as one launch.</summary>
    public abstract void Adam(IReadOnlyList<Slice<AdamUpdate>> group, int total);
}

/// <summary>One parameter's update and where its elements sit in a launch over a group of parameters.</summary>
internal readonly record struct Slice<TUpdate>(TUpdate Update, int Start, int Length);

/// <summary>The operands of a matrix product, checked: views, output, bias and the geometry the kernels read.</summary>
internal readonly record struct MatMulOperands<T>(StridedView<T> A, StridedView<T> B, DeviceBuffer<T> C,
    StridedView<T>? Bias, ArrayView<T> BiasView, MatMulShape Shape) where T : unmanaged;
