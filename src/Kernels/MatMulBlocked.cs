using System.Numerics;
using ILGPU;

namespace MicrogradPlus.Kernels;

/// <summary>
/// The register-blocked matrix product for large matrices on GPUs. A group of 256 threads computes a 128×128 block
/// of C; each thread keeps 8×8 of its elements in registers (four rows and four columns twice over, half a block
/// apart). K advances 8 at a time through two shared-memory buffers: while the group multiplies out one 8-deep
/// slice, each thread already holds its share of the next slice in registers and writes it to the other buffer
/// afterwards, so one barrier per slice suffices and global loads overlap the arithmetic. At each k of a slice a
/// thread reads 8 values of A and 8 of B from shared memory as four 16-byte vector loads and does 64 multiply-adds
/// with them; the slice's eight steps are written out in a row.
/// </summary>
/// <remarks>
/// ILGPU keeps local arrays in (slow) local memory and does not unroll loops with dynamic indices into registers, so
/// the 64 accumulators are the fields of <see cref="Block8x8{T}"/>, written out; structures of scalars become
/// registers. Tests compile this kernel to PTX and check that it uses no local memory and loads shared memory as
/// vectors.
/// </remarks>
internal static class MatMulBlocked
{
    /// <summary>Threads per group: 16×16, each owning 8×8 elements of the 128×128 block.</summary>
    public const int GroupSize = 256;

    /// <summary>Rows and columns of C per group.</summary>
    public const int Block = 128;

    /// <summary>Depth of one K slice staged in shared memory.</summary>
    public const int Depth = 8;

    private const int ThreadsPerRow = 16;

    // A thread owns rows 4·ty + i and 64 + 4·ty + i, columns 4·tx + j and 64 + 4·tx + j, for i, j < 4 and
    // t = 16·ty + tx: two runs of four, half a block apart. At one k the eight threads of a quarter warp (which
    // shared memory serves together) then read eight neighbouring 16-byte quads of B's slice row, covering the 32
    // banks once; had each thread owned eight neighbouring columns, threads 0 and 4 of a quarter would hit the same
    // banks. Of A's slice row a warp reads two quads at a time, which shared memory broadcasts.
    private const int Quad = 4;
    internal const int Half = Block / 2;
    // A slice row (one k) holds 128 values plus 4 of padding, its pitch: when consecutive threads store consecutive k
    // of one row of A, their addresses then fall in different shared-memory banks (without it, 8 threads hit one
    // bank), and rows stay 16-byte aligned for the vector loads.
    private const int Pitch = Block + 4;
    private const int SliceSize = Pitch * Depth;

    /// <summary>
    /// C[b] = A[b]·B[b]. Groups grid-stride over (batch, row block, column block); operands are read through the
    /// strides of <paramref name="s"/>, so transposed and broadcast operands need no copy. Launch with groups of
    /// <see cref="GroupSize"/> threads.
    /// </summary>
    public static void Run<T, TAct>(ArrayView<T> a, ArrayView<T> b, ArrayView<T> c, ArrayView<T> bias,
        MatMulShape s)
        where T : unmanaged, INumber<T>
        where TAct : struct, IUnaryOp<T>
    {
        // [buffer][k][m] and [buffer][k][n]: at one k, each of a thread's two runs of 4 rows (columns) is one quad.
        var sliceA = SharedMemory.Allocate<T>(2 * SliceSize);
        var sliceB = SharedMemory.Allocate<T>(2 * SliceSize);
        int t = Group.IdxX;
        int rowInBlock = t / ThreadsPerRow * Quad;
        int colInBlock = t % ThreadsPerRow * Quad;
        // Which way consecutive threads walk when loading: along whichever dimension is contiguous in memory.
        bool aAlongRows = s.ARowStride == 1 && s.AColStride != 1;
        bool bAlongCols = !(s.BRowStride == 1 && s.BColStride != 1);
        int blocksN = (s.N + Block - 1) / Block;
        int blocksM = (s.M + Block - 1) / Block;
        int blocks = s.Batch * blocksM * blocksN;
        int slices = (s.K + Depth - 1) / Depth;
        for (int block = Grid.IdxX; block < blocks; block += Grid.DimX)
        {
            var at = new Origin(s, block, blocksM, blocksN);
            // A's block is rows [Row, Row + 128) by k; B's is columns [Col, Col + 128) by k: one loader for both.
            var opA = new Operand<T>(a, at.BaseA, at.Row, s.ARowStride, s.AColStride, s.M, s.K, aAlongRows);
            var opB = new Operand<T>(b, at.BaseB, at.Col, s.BColStride, s.BRowStride, s.N, s.K, bAlongCols);
            var stageA = opA.Load(0, t);
            var stageB = opB.Load(0, t);
            var acc = default(Block8x8<T>);
            for (int slice = 0; slice < slices; slice++)
            {
                // The slice loaded during the previous one's arithmetic goes to its buffer, which no thread reads any
                // more: its last reader was two slices ago, and every thread has passed a barrier since.
                int current = (slice & 1) * SliceSize;
                Store(sliceA, current, stageA, t, aAlongRows);
                Store(sliceB, current, stageB, t, bAlongCols);
                Group.Barrier();
                // The next slice's global loads are issued now and consumed by the next store, so the slice's
                // arithmetic below covers their latency (past K they read zeros, without touching memory).
                stageA = opA.Load((slice + 1) * Depth, t);
                stageB = opB.Load((slice + 1) * Depth, t);
                // The slice's eight steps written out (ILGPU keeps a counted loop as a loop): their shared-memory
                // addresses are then constants apart, which ptxas folds into the loads, and it can issue a step's
                // loads while the previous step's multiply-adds run. ILGPU places the multiply-adds at the end of
                // the iteration, where the accumulators are used next: after these loads and before the next
                // slice's store and barrier, one straight run of code that ptxas schedules as a whole.
                int aAt = current + rowInBlock, bAt = current + colInBlock;
                acc.AddOuter(LoadEight(sliceA, aAt), LoadEight(sliceB, bAt));
                acc.AddOuter(LoadEight(sliceA, aAt + Pitch), LoadEight(sliceB, bAt + Pitch));
                acc.AddOuter(LoadEight(sliceA, aAt + 2 * Pitch), LoadEight(sliceB, bAt + 2 * Pitch));
                acc.AddOuter(LoadEight(sliceA, aAt + 3 * Pitch), LoadEight(sliceB, bAt + 3 * Pitch));
                acc.AddOuter(LoadEight(sliceA, aAt + 4 * Pitch), LoadEight(sliceB, bAt + 4 * Pitch));
                acc.AddOuter(LoadEight(sliceA, aAt + 5 * Pitch), LoadEight(sliceB, bAt + 5 * Pitch));
                acc.AddOuter(LoadEight(sliceA, aAt + 6 * Pitch), LoadEight(sliceB, bAt + 6 * Pitch));
                acc.AddOuter(LoadEight(sliceA, aAt + 7 * Pitch), LoadEight(sliceB, bAt + 7 * Pitch));
            }
            // The next block's first store must wait until every thread has read this block's last slice.
            Group.Barrier();
            acc.Store<TAct>(c, bias, s, at.Batch, at.Row + rowInBlock, at.Col + colInBlock);
        }
    }

    /// <summary>Where one group's block starts: batch, first row and first column of C.</summary>
    private readonly struct Origin
    {
        public readonly int Batch, Row, Col, BaseA, BaseB;

        public Origin(in MatMulShape s, int block, int blocksM, int blocksN)
        {
            Col = block % blocksN * Block;
            Row = block / blocksN % blocksM * Block;
            Batch = block / (blocksN * blocksM);
            BaseA = s.BatchA.OffsetOf(Batch);
            BaseB = s.BatchB.OffsetOf(Batch);
        }
    }

    // A slice holds Block×Depth elements, four per thread. Element i of the slice is (r, k) with r the row of A (or
    // the column of B) inside the block; consecutive i walk along r or along k.
    private static int OuterOf(int i, bool alongOuter) => alongOuter ? i % Block : i / Depth;

    private static int DepthOf(int i, bool alongOuter) => alongOuter ? i / Block : i % Depth;

    /// <summary>
    /// One operand's block as the loader sees it: an outer dimension (rows of A, columns of B) of which the block
    /// covers [First, First + 128), and the shared depth K, each with its stride; elements outside the matrix read 0.
    /// </summary>
    private readonly struct Operand<T>(ArrayView<T> view, int baseOffset, int first, int outerStride, int depthStride,
        int outerCount, int depth, bool alongOuter)
        where T : unmanaged, INumber<T>
    {
        private readonly ArrayView<T> _view = view;
        private readonly int _base = baseOffset, _first = first, _outerStride = outerStride, _depthStride = depthStride;
        private readonly int _outerCount = outerCount, _depth = depth;
        private readonly bool _alongOuter = alongOuter;

        /// <summary>This thread's four elements of the slice starting at depth <paramref name="k0"/>.</summary>
        public Vec4<T> Load(int k0, int t) => new()
        {
            X0 = Element(k0, t),
            X1 = Element(k0, t + GroupSize),
            X2 = Element(k0, t + 2 * GroupSize),
            X3 = Element(k0, t + 3 * GroupSize),
        };

        private T Element(int k0, int i)
        {
            int outer = _first + OuterOf(i, _alongOuter);
            int k = k0 + DepthOf(i, _alongOuter);
            return outer < _outerCount && k < _depth ? _view[_base + outer * _outerStride + k * _depthStride] : T.Zero;
        }
    }

    private static void Store<T>(ArrayView<T> slice, int buffer, in Vec4<T> stage, int t, bool alongOuter)
        where T : unmanaged
    {
        Put(slice, buffer, t, stage.X0, alongOuter);
        Put(slice, buffer, t + GroupSize, stage.X1, alongOuter);
        Put(slice, buffer, t + 2 * GroupSize, stage.X2, alongOuter);
        Put(slice, buffer, t + 3 * GroupSize, stage.X3, alongOuter);
    }

    private static void Put<T>(ArrayView<T> slice, int buffer, int i, T value, bool alongOuter) where T : unmanaged =>
        slice[buffer + DepthOf(i, alongOuter) * Pitch + OuterOf(i, alongOuter)] = value;

    /// <summary>
    /// Four elements from <paramref name="start"/> (a multiple of 4) and four from <paramref name="start"/> +
    /// <see cref="Half"/>, as two vector loads.
    /// </summary>
    private static Vec8<T> LoadEight<T>(ArrayView<T> view, int start)
        where T : unmanaged, INumber<T>
    {
        var quads = view.Cast<Vec4<T>>();
        var low = quads[start / 4];
        var high = quads[(start + Half) / 4];
        return new Vec8<T>
        {
            X0 = low.X0, X1 = low.X1, X2 = low.X2, X3 = low.X3,
            X4 = high.X0, X5 = high.X1, X6 = high.X2, X7 = high.X3,
        };
    }
}

/// <summary>
/// Eight values in registers: in the blocked matmul, two runs of four, X0–X3 and X4–X7,
/// <see cref="MatMulBlocked.Half"/> apart in C.
/// </summary>
internal struct Vec8<T> where T : unmanaged, INumber<T>
{
#pragma warning disable CS1591
    public T X0, X1, X2, X3, X4, X5, X6, X7;
#pragma warning restore CS1591

    /// <summary>this += s · v.</summary>
    public void AddScaled(T s, in Vec8<T> v)
    {
        X0 += s * v.X0;
        X1 += s * v.X1;
        X2 += s * v.X2;
        X3 += s * v.X3;
        X4 += s * v.X4;
        X5 += s * v.X5;
        X6 += s * v.X6;
        X7 += s * v.X7;
    }

    /// <summary>
    /// Writes the values plus <paramref name="add"/>, through the activation, to c[start…start + 3] and
    /// c[start + 64…start + 67], leaving out positions from <paramref name="count"/> on.
    /// </summary>
    public readonly void Store<TAct>(ArrayView<T> c, int start, int count, in Vec8<T> add)
        where TAct : struct, IUnaryOp<T>
    {
        var f = default(TAct);
        const int h = MatMulBlocked.Half;
        if (count > 0) c[start] = f.Apply(X0 + add.X0);
        if (count > 1) c[start + 1] = f.Apply(X1 + add.X1);
        if (count > 2) c[start + 2] = f.Apply(X2 + add.X2);
        if (count > 3) c[start + 3] = f.Apply(X3 + add.X3);
        if (count > h) c[start + h] = f.Apply(X4 + add.X4);
        if (count > h + 1) c[start + h + 1] = f.Apply(X5 + add.X5);
        if (count > h + 2) c[start + h + 2] = f.Apply(X6 + add.X6);
        if (count > h + 3) c[start + h + 3] = f.Apply(X7 + add.X7);
    }

    /// <summary>
    /// Sets the values to the bias of columns col…col + 3 and col + 64…col + 67 (zeros past N or without a bias).
    /// </summary>
    public void SetToBias(ArrayView<T> bias, in MatMulShape s, int col)
    {
        const int h = MatMulBlocked.Half;
        X0 = col < s.N ? s.BiasAt(bias, col) : T.Zero;
        X1 = col + 1 < s.N ? s.BiasAt(bias, col + 1) : T.Zero;
        X2 = col + 2 < s.N ? s.BiasAt(bias, col + 2) : T.Zero;
        X3 = col + 3 < s.N ? s.BiasAt(bias, col + 3) : T.Zero;
        X4 = col + h < s.N ? s.BiasAt(bias, col + h) : T.Zero;
        X5 = col + h + 1 < s.N ? s.BiasAt(bias, col + h + 1) : T.Zero;
        X6 = col + h + 2 < s.N ? s.BiasAt(bias, col + h + 2) : T.Zero;
        X7 = col + h + 3 < s.N ? s.BiasAt(bias, col + h + 3) : T.Zero;
    }
}

/// <summary>
/// 8×8 elements of C in registers: one <see cref="Vec8{T}"/> per row, R0–R3 four neighbouring rows and R4–R7 the
/// four <see cref="MatMulBlocked.Half"/> below them.
/// </summary>
internal struct Block8x8<T> where T : unmanaged, INumber<T>
{
#pragma warning disable CS1591
    public Vec8<T> R0, R1, R2, R3, R4, R5, R6, R7;
#pragma warning restore CS1591

    /// <summary>this += column · rowᵀ: 64 multiply-adds.</summary>
    public void AddOuter(in Vec8<T> column, in Vec8<T> row)
    {
        R0.AddScaled(column.X0, row);
        R1.AddScaled(column.X1, row);
        R2.AddScaled(column.X2, row);
        R3.AddScaled(column.X3, row);
        R4.AddScaled(column.X4, row);
        R5.AddScaled(column.X5, row);
        R6.AddScaled(column.X6, row);
        R7.AddScaled(column.X7, row);
    }

    /// <summary>
    /// Writes the elements plus the bias of their columns, through the activation, to C (contiguous [batch, M, N]), the
    /// first at (row, col), leaving out what lies outside C.
    /// </summary>
    public readonly void Store<TAct>(ArrayView<T> c, ArrayView<T> bias, in MatMulShape s, int batch, int row, int col)
        where TAct : struct, IUnaryOp<T>
    {
        const int h = MatMulBlocked.Half;
        int count = s.N - col;
        int start = (batch * s.M + row) * s.N + col;
        int rows = s.M - row;
        var add = default(Vec8<T>);
        add.SetToBias(bias, s, col);
        if (rows > 0) R0.Store<TAct>(c, start, count, add);
        if (rows > 1) R1.Store<TAct>(c, start + s.N, count, add);
        if (rows > 2) R2.Store<TAct>(c, start + 2 * s.N, count, add);
        if (rows > 3) R3.Store<TAct>(c, start + 3 * s.N, count, add);
        if (rows > h) R4.Store<TAct>(c, start + h * s.N, count, add);
        if (rows > h + 1) R5.Store<TAct>(c, start + (h + 1) * s.N, count, add);
        if (rows > h + 2) R6.Store<TAct>(c, start + (h + 2) * s.N, count, add);
        if (rows > h + 3) R7.Store<TAct>(c, start + (h + 3) * s.N, count, add);
    }
}
