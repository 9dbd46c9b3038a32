using MicrogradPlus.Backends;
using MicrogradPlus.Tests.Infrastructure;
using Xunit;

namespace MicrogradPlus.Tests.Kernels;

/// <summary>Shape arithmetic (<see cref="Shapes"/>) and view bookkeeping (<see cref="StridedView{T}"/>), host only.
/// </summary>
public class ShapeAndViewTests
{
    [Fact]
    public void Format_writes_shapes_like_python_tuples()
    {
        Assert.Equal("()", Shapes.Format([]));
        Assert.Equal("(3,)", Shapes.Format([3]));
        Assert.Equal("(3, 4)", Shapes.Format([3, 4]));
        Assert.Equal("(2, 0, 1)", Shapes.Format([2, 0, 1]));
    }

    [Fact]
    public void Size_and_strides_cover_rank_zero_and_empty_dimensions()
    {
        Assert.Equal(1, Shapes.Size([]));
        Assert.Equal(0, Shapes.Size([3, 0, 2]));
        Assert.Equal(24, Shapes.Size([2, 3, 4]));
        Assert.Equal([12, 4, 1], Shapes.ContiguousStrides([2, 3, 4]));
        Assert.Equal([2, 2, 1], Shapes.ContiguousStrides([3, 0, 2]));
        Assert.Empty(Shapes.ContiguousStrides([]));
        var negative = Assert.Throws<ArgumentException>(() => Shapes.Size([2, -1]));
        Assert.Contains("(2, -1)", negative.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => Shapes.Size([65536, 65536]));
    }

    [Fact]
    public void Broadcast_follows_numpy()
    {
        Assert.Equal([3, 4, 5], Shapes.Broadcast([3, 1, 5], [4, 1]));
        Assert.Equal([2, 3], Shapes.Broadcast([], [2, 3]));
        Assert.Equal([2, 3], Shapes.Broadcast([2, 3], []));
        Assert.Empty(Shapes.Broadcast([], []));
        Assert.Equal([0, 3], Shapes.Broadcast([0, 1], [3]));
        Assert.Equal([1, 1], Shapes.Broadcast([1], [1, 1]));
        var e = Assert.Throws<ArgumentException>(() => Shapes.Broadcast([3, 4], [2, 4]));
        Assert.Contains("(3, 4)", e.Message, StringComparison.Ordinal);
        Assert.Contains("(2, 4)", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => Shapes.Broadcast([0], [2]));
        Assert.True(Shapes.BroadcastsTo([3, 1], [2, 3, 4]));
        Assert.False(Shapes.BroadcastsTo([3, 2], [3, 4]));
        Assert.False(Shapes.BroadcastsTo([1, 1, 1], [1, 1]));
    }

    [Fact]
    public void Axes_normalize_from_either_end_and_reject_the_rest()
    {
        Assert.Equal(2, Shapes.NormalizeAxis(-1, 3));
        Assert.Equal(0, Shapes.NormalizeAxis(-3, 3));
        Assert.Equal(0, Shapes.NormalizeAxis(0, 0));
        Assert.Equal(0, Shapes.NormalizeAxis(-1, 0));
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Shapes.NormalizeAxis(3, 3));
        Assert.Contains("axis 3", e.Message, StringComparison.Ordinal);
        Assert.Contains("rank 3", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => Shapes.NormalizeAxis(-4, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => Shapes.NormalizeAxis(1, 0));

        Assert.Equal([0, 1, 2], Shapes.NormalizeAxes(null, 3));
        Assert.Equal([0, 1, 2], Shapes.NormalizeAxes([], 3));
        Assert.Equal([0, 2], Shapes.NormalizeAxes([-1, 0], 3));
        Assert.Empty(Shapes.NormalizeAxes(null, 0));
        var twice = Assert.Throws<ArgumentException>(() => Shapes.NormalizeAxes([2, -1], 3));
        Assert.Contains("twice", twice.Message, StringComparison.Ordinal);

        Assert.Equal([3], Shapes.Reduced([2, 3, 4], [0, 2], keepDim: false));
        Assert.Equal([1, 3, 1], Shapes.Reduced([2, 3, 4], [0, 2], keepDim: true));
        Assert.Empty(Shapes.Reduced([2, 3], [0, 1], keepDim: false));
    }

    [Fact]
    public void Views_check_their_reach_against_the_buffer()
    {
        using var buffers = new BufferSet();
        var buffer = buffers.Rent<float>(Device.Cpu, 12);
        _ = new StridedView<float>(buffer, [3, 4], [4, 1], 0);
        _ = new StridedView<float>(buffer, [3], [-1], 2);
        _ = new StridedView<float>(buffer, [0, 100], [100, 1], 50);
        var e = Assert.Throws<ArgumentException>(() => new StridedView<float>(buffer, [3, 5], [5, 1], 0));
        Assert.Contains("(3, 5)", e.Message, StringComparison.Ordinal);
        Assert.Contains("12", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new StridedView<float>(buffer, [3], [-1], 1));
        Assert.Throws<ArgumentException>(() => new StridedView<float>(buffer, [2, 2], [1], 0));
        Assert.Throws<ArgumentException>(() => new StridedView<float>(buffer, [12], [1], 1));
        Assert.Throws<ArgumentException>(() => StridedView.Contiguous(buffer, 13));
        var scalar = StridedView.Contiguous(buffer);
        Assert.Equal(1, scalar.Size);
        Assert.Equal(0, scalar.Rank);
    }

    [Fact]
    public void Permute_transpose_expand_slice_and_reshape_only_change_the_record()
    {
        using var buffers = new BufferSet();
        var x = StridedView.Contiguous(buffers.Rent<float>(Device.Cpu, 24), 2, 3, 4);
        Assert.True(x.IsContiguous);

        var p = x.Permute(2, 0, -2);
        Assert.Equal([4, 2, 3], p.Shape);
        Assert.Equal([1, 12, 4], p.Strides);
        Assert.False(p.IsContiguous);
        Assert.Same(x.Buffer, p.Buffer);

        var t = x.Transpose(-1, 0);
        Assert.Equal([4, 3, 2], t.Shape);
        Assert.Equal([1, 4, 12], t.Strides);

        var e = x.Slice(1, 1, 3).Expand(5, 2, 2, 4);
        Assert.Equal([5, 2, 2, 4], e.Shape);
        Assert.Equal([0, 12, 4, 1], e.Strides);
        Assert.Equal(4, e.Offset);
        Assert.False(e.IsContiguous);

        var column = StridedView.Contiguous(buffers.Rent<float>(Device.Cpu, 3), 3, 1).Expand(2, 3, 4);
        Assert.Equal([0, 1, 0], column.Strides);

        var s = x.Slice(0, 1, 2);
        Assert.Equal(12, s.Offset);
        Assert.True(s.IsContiguous);
        Assert.False(x.Slice(2, 0, 3).IsContiguous);
        Assert.Equal([2, 3, 0], x.Slice(-1, 2, 2).Shape);

        var r = s.Reshape(3, 4);
        Assert.Equal([4, 1], r.Strides);
        Assert.Equal(12, r.Offset);
        Assert.True(new StridedView<float>(x.Buffer, [1, 4, 1], [99, 1, 7], 0).IsContiguous);
        Assert.Contains("(2, 3, 4)", x.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_view_arguments_are_rejected_naming_the_shapes()
    {
        using var buffers = new BufferSet();
        var x = StridedView.Contiguous(buffers.Rent<float>(Device.Cpu, 24), 2, 3, 4);
        var e = Assert.Throws<ArgumentException>(() => x.Permute(0, 1));
        Assert.Contains("(2, 3, 4)", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => x.Permute(0, 1, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => x.Permute(0, 1, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => x.Transpose(0, 3));

        e = Assert.Throws<ArgumentException>(() => x.Expand(2, 5, 4));
        Assert.Contains("(2, 3, 4)", e.Message, StringComparison.Ordinal);
        Assert.Contains("(2, 5, 4)", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => x.Expand(3, 4));

        var slice = Assert.Throws<ArgumentOutOfRangeException>(() => x.Slice(1, 2, 4));
        Assert.Contains("(2, 3, 4)", slice.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => x.Slice(1, 2, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => x.Slice(1, -1, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => x.Slice(3, 0, 1));

        e = Assert.Throws<ArgumentException>(() => x.Reshape(5, 5));
        Assert.Contains("(2, 3, 4)", e.Message, StringComparison.Ordinal);
        Assert.Contains("(5, 5)", e.Message, StringComparison.Ordinal);
        var copyFirst = Assert.Throws<InvalidOperationException>(() => x.Transpose(0, 2).Reshape(24));
        Assert.Contains("(4, 3, 2)", copyFirst.Message, StringComparison.Ordinal);
    }
}
