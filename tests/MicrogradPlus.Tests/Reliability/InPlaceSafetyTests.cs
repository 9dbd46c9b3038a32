using MicrogradPlus.Optim;
using MicrogradPlus.Tests.Infrastructure;
using Xunit;

namespace MicrogradPlus.Tests.Reliability;

using Tensor = MicrogradPlus.Tensor;

/// <summary>
/// In-place writes: a copy between overlapping views of one memory gives what PyTorch's copy would (as if every source
/// element were read first), and backward refuses a tensor that was written in place after an op saved it, with
/// PyTorch's message shape.
/// </summary>
public class InPlaceSafetyTests
{
    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void CopyFrom_between_overlapping_slices_reads_the_source_first(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        using var tensors = Tensor.Scope();
        var right = Tensor.Arange(10, scope.Device);
        right.Slice(0, 1, 6).CopyFrom(right.Slice(0, 0, 5));
        Assert.Equal([0f, 0f, 1f, 2f, 3f, 4f, 6f, 7f, 8f, 9f], right.ToArray());

        var left = Tensor.Arange(10, scope.Device);
        left.Slice(0, 0, 5).CopyFrom(left.Slice(0, 1, 6));
        Assert.Equal([1f, 2f, 3f, 4f, 5f, 5f, 6f, 7f, 8f, 9f], left.ToArray());

        var same = Tensor.Arange(6, scope.Device);
        same.CopyFrom(same);
        Assert.Equal([0f, 1f, 2f, 3f, 4f, 5f], same.ToArray());
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void CopyFrom_own_transpose_transposes(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        using var tensors = Tensor.Scope();
        var x = Tensor.Arange(16, scope.Device).Reshape(4, 4);
        x.CopyFrom(x.T);
        var expected = new float[16];
        for (int i = 0; i < 4; i++)
        {
            for (int j = 0; j < 4; j++)
            {
                expected[i * 4 + j] = j * 4 + i;
            }
        }
        Assert.Equal(expected, x.ToArray());

        var row = Tensor.Arange(8, scope.Device).Reshape(2, 4);
        row.CopyFrom(row.Slice(0, 1, 2)); // broadcast from a row of the same memory
        Assert.Equal([4f, 5f, 6f, 7f, 4f, 5f, 6f, 7f], row.ToArray());
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Backward_refuses_a_saved_input_written_in_place(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        using var tensors = Tensor.Scope();
        var a = Tensor.FromArray([1f, 2f, 3f, 4f, 5f, 6f], [2, 3], scope.Device);
        var w = Tensor.Ones([2, 3], scope.Device, requiresGrad: true);
        var y = (a * w).Sum();
        a.CopyFrom(Tensor.Zeros([2, 3], scope.Device));
        var error = Assert.Throws<InvalidOperationException>(() => y.Backward());
        Assert.Contains("one of the variables needed for gradient computation has been modified by an inplace " +
                        "operation: [float32 tensor of shape [2, 3]], which is input 0 of 'mul', is at version 1; " +
                        "expected version 0 instead", error.Message, StringComparison.Ordinal);
        Assert.Null(w.Grad);
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Backward_refuses_a_parameter_written_through_a_view(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        using var tensors = Tensor.Scope();
        var w = Tensor.FromArray([1f, 2f, 3f, 4f], [4], scope.Device, requiresGrad: true);
        var y = (w * w).Sum();
        using (Autograd.NoGrad())
        {
            w.Slice(0, 0, 2).CopyFrom(Tensor.Zeros([2], scope.Device)); // a view: the same memory, one version
            w.Slice(0, 2, 4).CopyFrom(Tensor.Zeros([2], scope.Device));
        }
        var error = Assert.Throws<InvalidOperationException>(() => y.Backward());
        Assert.Contains("is at version 2; expected version 0 instead", error.Message, StringComparison.Ordinal);
        Assert.Contains("[float32 tensor of shape [4]]", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Backward_refuses_a_saved_output_and_an_optimizer_step_in_between(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        using var tensors = Tensor.Scope();
        var x = Tensor.FromArray([0.5f, 1f], [2], scope.Device, requiresGrad: true);
        var e = x.Exp();
        var y = e.Sum();
        using (Autograd.NoGrad())
        {
            e.CopyFrom(Tensor.Ones([2], scope.Device));
        }
        var error = Assert.Throws<InvalidOperationException>(() => y.Backward());
        // exp saved its result (its rule is g·eˣ); sum saved nothing, so exp is the op that refuses.
        Assert.Contains(
            "[float32 tensor of shape [2]], which is output 0 of 'exp', is at version 1; expected version 0",
            error.Message, StringComparison.Ordinal);

        var w = Tensor.FromArray([1f, 2f], [2], scope.Device, requiresGrad: true);
        using var sgd = new Sgd([w], lr: 0.1f);
        var loss = (w * w).Sum();
        loss.Backward(retainGraph: true);
        sgd.Step(); // writes w in place
        Assert.Throws<InvalidOperationException>(() => loss.Backward());
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Writes_after_backward_or_to_unrelated_tensors_are_fine(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        using var tensors = Tensor.Scope();
        var a = Tensor.FromArray([1f, 2f], [2], scope.Device);
        var unrelated = Tensor.Zeros([2], scope.Device);
        var w = Tensor.FromArray([3f, 4f], [2], scope.Device, requiresGrad: true);
        var y = (a * w).Sum();
        unrelated.CopyFrom(a);
        y.Backward();
        Assert.Equal([1f, 2f], w.Grad!.ToArray());
        a.CopyFrom(unrelated * 2f); // the graph is gone: nothing to protect
        Assert.Equal([2f, 4f], a.ToArray());
    }

    /// <summary>
    /// Ops declare what their backward reads (<c>Saves</c>). For each op that declares less than all its tensors, a
    /// write into an undeclared one between forward and backward is no error, as in PyTorch, and the gradient is the
    /// one without the write — which also proves the declaration: a rule that read the tensor would see new values.
    /// </summary>
    public static TheoryData<string, string> UndeclaredWrites()
    {
        var data = new TheoryData<string, string>();
        foreach (string device in TestDevices.All)
        {
            foreach (string op in UndeclaredWriteOps.Keys)
            {
                data.Add(device, op);
            }
        }
        return data;
    }

    // Each op's forward from u = x·1, the input that is written afterwards (x is the leaf): ops that save nothing,
    // and ops that save only their output ("(output)").
    private static readonly Dictionary<string, Func<Tensor, Tensor>> UndeclaredWriteOps = new()
    {
        ["add"] = u => u + Tensor.Ones(u.Shape, u.Device),
        ["add scalar"] = u => u + 2f,
        ["sub"] = u => u - Tensor.Ones(u.Shape, u.Device),
        ["neg"] = u => -u,
        ["mul scalar"] = u => u * 3f,
        ["div scalar"] = u => u / 4f,
        ["sum"] = u => u.Sum(1, keepDim: true).Expand([2, 3]),
        ["mean"] = u => u.Mean(0).Expand([2, 3]),
        ["reshape"] = u => u.Reshape(3, 2).Reshape(2, 3),
        ["transpose"] = u => u.T.T,
        ["permute"] = u => u.Permute(1, 0).Permute(1, 0),
        ["slice"] = u => Tensor.Cat([u.Slice(1, 0, 2), u.Slice(1, 2, 3)], 1),
        ["squeeze"] = u => u.Unsqueeze(0).Squeeze(0),
        ["flip"] = u => u.Flip(1),
        ["clone"] = u => u.Clone(),
        ["to float64"] = u => u.To(DType.Float64).To(DType.Float32),
        ["tril"] = u => u.Tril(),
        ["cumsum"] = u => u.CumSum(1),
        ["round"] = u => u.Round() + u,
        ["lerp"] = u => u.Lerp(Tensor.Ones(u.Shape, u.Device), 0.25f),
        ["exp (output)"] = u => u.Exp(),
        ["tanh (output)"] = u => u.Tanh(),
        ["sigmoid (output)"] = u => u.Sigmoid(),
        ["softmax (output)"] = u => u.Softmax(1),
        ["log_softmax (output)"] = u => u.LogSoftmax(1),
    };

    [Theory]
    [MemberData(nameof(UndeclaredWrites))]
    public void Writes_into_what_an_op_did_not_save_are_no_error_and_change_no_gradient(string deviceName, string op)
    {
        using var scope = TestDevices.Use(deviceName);
        using var tensors = Tensor.Scope();
        var forward = UndeclaredWriteOps[op];
        var weights = Tensor.FromArray([1f, -2f, 3f, 0.5f, 2f, -1f], [2, 3], scope.Device);
        float[] Gradient(bool write)
        {
            var x = Tensor.FromArray([0.3f, -1.2f, 0.8f, 2.1f, -0.4f, 1.5f], [2, 3], scope.Device, requiresGrad: true);
            var u = x * 1f;
            var y = forward(u);
            if (write)
            {
                using (Autograd.NoGrad())
                {
                    u.CopyFrom(Tensor.Full(u.Shape, 7f, scope.Device));
                }
            }
            (y * weights).Sum().Backward();
            return x.Grad!.ToArray();
        }
        Assert.Equal(Gradient(write: false), Gradient(write: true));
    }
}
