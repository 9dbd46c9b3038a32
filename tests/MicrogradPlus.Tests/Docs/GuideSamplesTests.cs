using MicrogradPlus.Data;
using MicrogradPlus.Nn;
using MicrogradPlus.Optim;
using MicrogradPlus.Tests.Infrastructure;
using Xunit;

namespace MicrogradPlus.Tests.Docs;

using Tensor = MicrogradPlus.Tensor;

/// <summary>
/// The guide's code (docs/*.md), run. Each <c>#region docs: NAME</c> below is a fenced csharp block of the guide,
/// character for character once indentation is removed (<see cref="GuideBlocksTests"/> checks that every block of the
/// guide is one of these regions); the asserts after a region check what the guide's text claims.
/// </summary>
public sealed class GuideSamplesTests : IDisposable
{
    private static readonly Device Cpu = Device.Cpu;
    private readonly TextWriter _console = Console.Out;

    /// <summary>The samples print for the reader; the test runner's output stays clean (classes run one at a time).</summary>
    public GuideSamplesTests() => Console.SetOut(new StringWriter());

    public void Dispose() => Console.SetOut(_console);

    [Fact]
    public void Scalars_as_in_micrograd()
    {
        #region docs: scalars
        var a = new Value(2);
        var b = new Value(3);
        var c = a + b;
        var d = a * c;
        d.Backward();
        Console.WriteLine($"d = {d.Data}, a.Grad = {a.Grad}, b.Grad = {b.Grad}"); // d = 10, a.Grad = 7, b.Grad = 2
        #endregion
        Assert.Equal(10, d.Data);
        Assert.Equal(7, a.Grad);
        Assert.Equal(2, b.Grad);
        Assert.Equal(2, c.Grad); // ∂d/∂c = a
    }

    [Fact]
    public void Vectors_need_an_output_gradient()
    {
        using var scope = Tensor.Scope();
        #region docs: vectors
        var a = Tensor.FromArray([1f, 2f], [2], Device.Cpu, requiresGrad: true);
        var b = Tensor.FromArray([3f, 4f], [2], Device.Cpu, requiresGrad: true);
        var c = a + b;                       // [4, 6]
        // c has two elements, so "the" derivative of c is not one number: say how much each element counts.
        c.Backward(Tensor.Ones([2], Device.Cpu)); // PyTorch: c.backward(torch.ones(2))
        Console.WriteLine($"{c}; a.Grad = {a.Grad}, b.Grad = {b.Grad}"); // a.Grad = [1, 1], b.Grad = [1, 1]
        #endregion
        Assert.Equal([4f, 6f], c.ToArray());
        Assert.Equal([1f, 1f], a.Grad!.ToArray());
        Assert.Equal([1f, 1f], b.Grad!.ToArray());

        #region docs: vectors-no-gradient
        var e = a * b;
        string? message = null;
        try
        {
            e.Backward();
        }
        catch (InvalidOperationException error)
        {
            message = error.Message; // Backward() without a gradient needs a one-element output, got shape [2] ...
        }
        e.Sum().Backward();          // the same as e.Backward(Tensor.Ones([2], Device.Cpu))
        #endregion
        Assert.Contains("one-element output", message, StringComparison.Ordinal);
        Assert.Equal([1f + 3f, 1f + 4f], a.Grad!.ToArray()); // accumulated: 1 from c, then b from e
    }

    [Fact]
    public void A_broadcast_gradient_is_a_sum()
    {
        using var scope = Tensor.Scope();
        #region docs: broadcast
        var x = Tensor.FromArray([1f, 2f, 3f, 4f, 5f, 6f], [2, 3], Cpu, requiresGrad: true);
        var bias = Tensor.FromArray([10f, 20f, 30f], [3], Cpu, requiresGrad: true);
        var y = x + bias;          // bias is used once per row: [[11, 22, 33], [14, 25, 36]]
        y.Sum().Backward();
        // Each use of bias passes its gradient back, and they add up: one 1 per row.
        Console.WriteLine(bias.Grad); // [2, 2, 2]
        #endregion
        Assert.Equal([11f, 22f, 33f, 14f, 25f, 36f], y.ToArray());
        Assert.Equal([2f, 2f, 2f], bias.Grad!.ToArray());
        Assert.Equal([3], bias.Grad!.Shape);
        Assert.Equal(Enumerable.Repeat(1f, 6), x.Grad!.ToArray());
    }

    [Fact]
    public void Matmul_backward_is_two_matmuls()
    {
        using var scope = Tensor.Scope();
        #region docs: matmul
        var a = Tensor.FromArray([1f, 2f, 3f, 4f, 5f, 6f], [2, 3], Cpu, requiresGrad: true);
        var b = Tensor.FromArray([1f, 0f, 0f, 1f, 1f, 1f], [3, 2], Cpu, requiresGrad: true);
        var c = a.MatMul(b);                          // [2, 2]
        var g = Tensor.FromArray([1f, 2f, 3f, 4f], [2, 2], Cpu); // ∂L/∂c, any 2 × 2
        c.Backward(g);
        // ∂L/∂a = g·bᵀ and ∂L/∂b = aᵀ·g: the same matmul, twice more.
        using (Autograd.NoGrad())
        {
            Console.WriteLine($"{a.Grad} = {g.MatMul(b.Transpose(0, 1))}");
            Console.WriteLine($"{b.Grad} = {a.Transpose(0, 1).MatMul(g)}");
        }
        #endregion
        using (Autograd.NoGrad())
        {
            Assert.Equal(g.MatMul(b.Transpose(0, 1)).ToArray(), a.Grad!.ToArray());
            Assert.Equal(a.Transpose(0, 1).MatMul(g).ToArray(), b.Grad!.ToArray());
        }
        // By hand: g·bᵀ row 0 = [1·1 + 2·0, 1·0 + 2·1, 1·1 + 2·1] = [1, 2, 3].
        Assert.Equal([1f, 2f, 3f, 3f, 4f, 7f], a.Grad!.ToArray());
    }

    [Fact]
    public void The_graph_is_built_by_the_forward_and_freed_by_backward()
    {
        using var scope = Tensor.Scope();
        #region docs: graph
        var w = Tensor.FromArray([0.5f, -1f], [2], Cpu, requiresGrad: true);
        var x = Tensor.FromArray([2f, 3f], [2], Cpu);
        var loss = (w * x).Relu().Sum();
        Console.WriteLine(loss.GradFnName);      // the op that made loss, with its inputs behind it
        Console.WriteLine(Graph.ToDot(loss));    // Graphviz text of the whole graph
        loss.Backward(retainGraph: true);        // keep what the ops saved: a second backward is allowed
        loss.Backward();                         // gradients add up: w.Grad = 2 · x · (w·x > 0)
        Console.WriteLine(w.Grad);               // [4, 0]
        using (Autograd.NoGrad())
        {
            var prediction = w * x;              // no graph recorded: nothing to free, nothing to keep alive
            Console.WriteLine(prediction.RequiresGrad); // False
        }
        #endregion
        Assert.Equal("sum", loss.GradFnName);
        Assert.StartsWith("digraph", Graph.ToDot(loss), StringComparison.Ordinal);
        Assert.Equal([4f, 0f], w.Grad!.ToArray());
        Assert.Throws<InvalidOperationException>(() => loss.Backward());
    }

    [Fact]
    public void One_program_on_every_device()
    {
        #region docs: devices
        foreach (var device in Device.Available)
        {
            using var scope = Tensor.Scope();
            long before = device.Launches;
            var x = Tensor.FromArray([1f, 2f, 3f], [3], device);
            var y = (x * x).Sum();
            Console.WriteLine($"{device.Describe()}: {y.Item()} after {device.Launches - before} launches");
        }
        #endregion
        using var check = Tensor.Scope();
        Assert.Equal(14f, (Tensor.FromArray([1f, 2f, 3f], [3], Cpu) * Tensor.FromArray([1f, 2f, 3f], [3], Cpu))
            .Sum().Item());
    }

    [Fact]
    public void A_scope_frees_what_it_made()
    {
        Pools.DrainFinalized(Device.Cpu.Pool); // tensors earlier tests left to the GC come back first, not mid-sample
        var keep = ScopeSample(out long live, out long after);
        Assert.Equal(live + 1, after); // the moved-out tensor alone is still alive
        Assert.Equal([5f, 7f, 9f], keep.ToArray());
        keep.Dispose();
    }

    private static Tensor ScopeSample(out long liveBefore, out long liveAfter)
    {
        #region docs: scopes
        var pool = Device.Cpu.Pool;
        long live = pool.LiveBuffers;
        Tensor total;
        using (var scope = Tensor.Scope())
        {
            var a = Tensor.FromArray([1f, 2f, 3f], [3], Device.Cpu);
            var b = Tensor.FromArray([4f, 5f, 6f], [3], Device.Cpu);
            var temporary = a * 2f;            // freed with the scope, like a and b
            total = scope.MoveOut(a + b);      // survives the scope: the caller disposes it
        }
        Console.WriteLine($"{pool.LiveBuffers - live} buffer alive: {total}"); // 1 buffer alive: [5, 7, 9]
        #endregion
        liveBefore = live;
        liveAfter = pool.LiveBuffers;
        return total;
    }

    [Fact]
    public void Training_an_mlp_on_the_digits()
    {
        #region docs: mlp
        var device = Device.Cpu; // or Device.Default: CUDA, then OpenCL, then the CPU
        var (train, test) = Digits.Load().Scale(1f / Digits.MaxPixel).Split(0.2, seed: 1, stratify: true);
        using var model = new Mlp(Digits.Features, [32], Digits.Classes, device: device, seed: 1);
        using var optimizer = new Adam(model.Parameters(), lr: 0.01f);
        var loader = new DataLoader(train, batchSize: 64, seed: 1);
        for (int epoch = 0; epoch < 10; epoch++)
        {
            foreach (var batch in loader)
            {
                using var step = Tensor.Scope();  // frees the step's activations and graph
                var loss = Functional.CrossEntropy(model.Forward(batch.ToTensor(device)), batch.Y);
                optimizer.ZeroGrad();
                loss.Backward();
                optimizer.Step();
            }
        }
        int[] predicted;
        using (Tensor.Scope())
        using (Autograd.NoGrad())
        {
            predicted = model.Forward(test.ToTensor(device)).ArgMaxIndices(1);
        }
        double accuracy = predicted.Zip(test.Labels).Count(p => p.First == p.Second) / (double)test.Count;
        Console.WriteLine($"test accuracy {accuracy:P1}"); // about 96 %
        #endregion
        Assert.InRange(accuracy, 0.93, 1.0);
    }

    [Fact]
    public void Capturing_the_training_step()
    {
        #region docs: capture
        var device = Device.Cpu;
        var (train, _) = Digits.Load().Scale(1f / Digits.MaxPixel).Split(0.2, seed: 1, stratify: true);
        using var model = new Mlp(Digits.Features, [32], Digits.Classes, device: device, seed: 1);
        using var optimizer = new Adam(model.Parameters(), lr: 0.01f);
        var loader = new DataLoader(train, batchSize: 64, dropLast: true, seed: 1);
        using var x = Tensor.Zeros([64, Digits.Features], device);  // the step's inputs, made once
        using var labels = Tensor.Zeros([64], device, DType.Int32);
        var first = loader.First();
        x.CopyFrom(first.X);
        labels.CopyFrom(first.Y);
        using var captured = device.Capture(() =>                  // runs one step, records the next
        {
            optimizer.ZeroGrad();
            var loss = Functional.CrossEntropy(model.Forward(x), labels);
            loss.Backward();
            optimizer.Step();
            return loss;
        });
        for (int epoch = 0; epoch < 10; epoch++)
        {
            foreach (var batch in loader)
            {
                x.CopyFrom(batch.X);                                // each batch into the same tensors
                labels.CopyFrom(batch.Y);
                captured.Replay();                                  // the step, with no graph to build
            }
        }
        Console.WriteLine($"last loss {captured.Output.Item():F3}"); // about 0.15
        #endregion
        Assert.InRange(captured.Output.Item(), 0f, 0.3f);
    }
}
