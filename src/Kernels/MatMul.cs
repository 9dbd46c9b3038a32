using System.Numerics;
using ILGPU;

namespace MicrogradPlus.Kernels;

/// <summary>
/// The geometry of C[b] = A[b]·B[b] for a batch of M×K by K×N products. A and B are addressed through strides, so
/// transposed and broadcast operands need no copy: <c>BatchA</c>/<c>BatchB</c> map a batch index to the offset of that
/// batch's matrix (stride 0 on broadcast batch dimensions); C is contiguous [batch, M, N]. With <c>HasBias</c> ≠ 0
/// every kernel adds a bias vector of length N to each row of C as it stores it (torch.addmm, nn.Linear), element n
/// at <c>BiasOffset + n·BiasStride</c> of the bias buffer: one launch instead of a product and a broadcast add. Each
/// kernel is generic over an activation (a unary operator, <see cref="NoActivation{T}"/> for none) that every stored
/// element goes through: nn.Linear and nn.ReLU (or Tanh, Sigmoid) in one launch.
/// </summary>
internal struct MatMulShape
{
#pragma warning disable CS1591
    public int Batch, M, N, K;
    public Layout BatchA, BatchB;
    /// <summary>Strides of A along its rows (m) and columns (k); of B along k and n.</summary>
    public int ARowStride, AColStride, BRowStride, BColStride;
    /// <summary>1 when a bias is added to each row of C (an int: kernel parameters must be blittable).</summary>
    public int HasBias;
    public int BiasOffset, BiasStride;
#pragma warning restore CS1591

    /// <summary>Bias element for column <paramref name="n"/>, or zero without a bias.</summary>
    public readonly T BiasAt<T>(ArrayView<T> bias, int n) where T : unmanaged, INumber<T> =>
        HasBias != 0 ? bias[BiasOffset + n * BiasStride] : T.Zero;
}

/// <summary>
/// The naive reference: one output element per index, a dot product over K (plus the bias, if any), through the
/// activation.
/// </summary>
internal struct MatMulNaiveBody<T, TAct>(ArrayView<T> a, ArrayView<T> b, ArrayView<T> c, ArrayView<T> bias,
    MatMulShape shape) : IElementBody
    where T : unmanaged, INumber<T>
    where TAct : struct, IUnaryOp<T>
{
    private readonly ArrayView<T> _a = a, _b = b, _c = c, _bias = bias;
    private readonly MatMulShape _s = shape;

    /// <inheritdoc/>
    public readonly void Execute(int index)
    {
        int n = index % _s.N;
        int rest = index / _s.N;
        int m = rest % _s.M;
        int batch = rest / _s.M;
        int aRow = _s.BatchA.OffsetOf(batch) + m * _s.ARowStride;
        int bCol = _s.BatchB.OffsetOf(batch) + n * _s.BColStride;
        T acc = T.Zero;
        for (int k = 0; k < _s.K; k++)
        {
            acc += _a[aRow + k * _s.AColStride] * _b[bCol + k * _s.BRowStride];
        }
        _c[index] = default(TAct).Apply(acc + _s.BiasAt(_bias, n));
    }
}

/// <summary>
/// c[i] = activation(c[i] + bias of column i mod N): the bias and activation of a product computed elsewhere (cuBLAS)
/// or of an empty one.
/// </summary>
internal struct MatMulEpilogueBody<T, TAct>(ArrayView<T> c, ArrayView<T> bias, MatMulShape shape) : IElementBody
    where T : unmanaged, INumber<T>
    where TAct : struct, IUnaryOp<T>
{
    private readonly ArrayView<T> _c = c, _bias = bias;
    private readonly MatMulShape _s = shape;

    /// <inheritdoc/>
    public readonly void Execute(int index) =>
        _c[index] = default(TAct).Apply(_c[index] + _s.BiasAt(_bias, index % _s.N));
}

/// <summary>The activation of a product that has none: x itself, for any element type.</summary>
internal struct NoActivation<T> : IUnaryOp<T> where T : unmanaged
{
    /// <inheritdoc/>
    public readonly T Apply(T x) => x;
}

/// <summary>Matrix-product kernels that need thread groups and shared memory.</summary>
internal static class MatMulKernels
{
    /// <summary>The largest tile edge: the shared arrays hold <c>MaxTile²</c> floats each.</summary>
    public const int MaxTile = 16;

    /// <summary>
    /// Shared-memory tiling: a group of tile² threads computes one tile×tile block of C, staging tile×tile blocks of A
    /// and B in shared memory so each global element is read once per block instead of once per output. Groups
    /// grid-stride over all (batch, row-tile, column-tile) blocks. The tile edge comes from the group size chosen for
    /// the device (16 on GPUs; smaller where the device's groups are smaller).
    /// </summary>
    public static void Tiled<T, TAct>(ArrayView<T> a, ArrayView<T> b, ArrayView<T> c, ArrayView<T> bias,
        MatMulShape s, int tile)
        where T : unmanaged, INumber<T>
        where TAct : struct, IUnaryOp<T>
    {
        var tileA = SharedMemory.Allocate<T>(MaxTile * MaxTile);
        var tileB = SharedMemory.Allocate<T>(MaxTile * MaxTile);
        int tx = Group.IdxX % tile;
        int ty = Group.IdxX / tile;
        int tilesN = (s.N + tile - 1) / tile;
        int tilesM = (s.M + tile - 1) / tile;
        int blocks = s.Batch * tilesM * tilesN;
        int groups = Grid.DimX;
        for (int block = Grid.IdxX; block < blocks; block += groups)
        {
            int tn = block % tilesN;
            int tm = (block / tilesN) % tilesM;
            int batch = block / (tilesN * tilesM);
            int m = tm * tile + ty;
            int n = tn * tile + tx;
            int aBase = s.BatchA.OffsetOf(batch);
            int bBase = s.BatchB.OffsetOf(batch);
            T acc = T.Zero;
            for (int k0 = 0; k0 < s.K; k0 += tile)
            {
                int ka = k0 + tx;
                int kb = k0 + ty;
                tileA[ty * tile + tx] = m < s.M && ka < s.K ? a[aBase + m * s.ARowStride + ka * s.AColStride] : T.Zero;
                tileB[ty * tile + tx] = kb < s.K && n < s.N ? b[bBase + kb * s.BRowStride + n * s.BColStride] : T.Zero;
                Group.Barrier();
                for (int k = 0; k < tile; k++)
                {
                    acc += tileA[ty * tile + k] * tileB[k * tile + tx];
                }
                Group.Barrier();
            }
            if (m < s.M && n < s.N)
            {
                c[(batch * s.M + m) * s.N + n] = default(TAct).Apply(acc + s.BiasAt(bias, n));
            }
        }
    }
}
