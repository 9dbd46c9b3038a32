using MicrogradPlus.Tests.Infrastructure;
using Xunit;

namespace MicrogradPlus.Tests.Tensor;

using Tensor = MicrogradPlus.Tensor;

/// <summary>
/// Bad input fails early with the exception type a .NET caller expects and a message that names what was wrong: both
/// shapes, the axis and the rank, both devices, both dtypes. Argument checks do not depend on the device, so every
/// case runs on the "cpu" row, except the cross-device ones, which need a second device.
/// </summary>
public class ErrorTests
{
    // ---- broadcasting and dtypes -------------------------------------------------------------------------------

    [Fact]
    public void Add_of_shapes_that_do_not_broadcast_names_both()
    {
        using var cpu = Cpu();
        using var tensors = Tensor.Scope();
        var a = Tensor.Zeros([2, 3], cpu.Device);
        var b = Tensor.Zeros([4], cpu.Device);
        AssertThrows<ArgumentException>(() => a + b, "(2, 3)", "(4,)");
    }

    [Fact]
    public void Mul_of_shapes_that_do_not_broadcast_names_both_and_the_dimension()
    {
        using var cpu = Cpu();
        using var tensors = Tensor.Scope();
        var a = Tensor.Zeros([3, 2], cpu.Device);
        var b = Tensor.Zeros([2, 3], cpu.Device);
        AssertThrows<ArgumentException>(() => a * b, "(3, 2)", "(2, 3)", "dimension -2");
    }

    [Fact]
    public void Sub_of_shapes_that_do_not_broadcast_names_both()
    {
        using var cpu = Cpu();
        using var tensors = Tensor.Scope();
        var a = Tensor.Zeros([5, 1, 4], cpu.Device);
        var b = Tensor.Zeros([3, 2], cpu.Device);
        AssertThrows<ArgumentException>(() => a - b, "(5, 1, 4)", "(3, 2)");
    }

    [Fact]
    public void Div_of_shapes_that_do_not_broadcast_names_both()
    {
        using var cpu = Cpu();
        using var tensors = Tensor.Scope();
        var a = Tensor.Ones([2, 2, 3], cpu.Device);
        var b = Tensor.Ones([2, 4], cpu.Device);
        AssertThrows<ArgumentException>(() => a / b, "(2, 2, 3)", "(2, 4)");
    }

    [Fact]
    public void Pow_with_a_tensor_exponent_of_another_shape_names_both()
    {
        using var cpu = Cpu();
        using var tensors = Tensor.Scope();
        var a = Tensor.Ones([3], cpu.Device);
        var b = Tensor.Ones([2], cpu.Device);
        AssertThrows<ArgumentException>(() => a.Pow(b), "(3,)", "(2,)");
    }

    [Fact]
    public void Float32_plus_float64_names_both_dtypes()
    {
        using var cpu = Cpu();
        using var tensors = Tensor.Scope();
        var single = Tensor.Ones([2], cpu.Device);
        var wide = Tensor.FromArray([1.0, 2.0], [2], cpu.Device);
        AssertThrows<ArgumentException>(() => single + wide, "Float32", "Float64", "add");
    }

    [Fact]
    public void Matmul_of_float64_and_float32_names_both_dtypes()
    {
        using var cpu = Cpu();
        using var tensors = Tensor.Scope();
        var wide = Tensor.Zeros([2, 3], cpu.Device, DType.Float64);
        var single = Tensor.Zeros([3, 2], cpu.Device);
        AssertThrows<ArgumentException>(() => wide.MatMul(single), "Float64", "Float32", "matmul");
    }

    // ---- devices ---------------------------------------------------------------------------------------------

    [Theory]
    [InlineData("opencl")]
    [InlineData("cuda")]
    public void Add_across_devices_names_both_devices(string deviceName)
    {
        using var other = TestDevices.Use(deviceName); // skipped, with the reason, where the device is absent
        using var tensors = Tensor.Scope();
        var onCpu = Tensor.Ones([3], Device.Cpu);
        var onOther = Tensor.Ones([3], other.Device);
        AssertThrows<ArgumentException>(() => onCpu + onOther, "cpu", other.Device.ToString(), "To(device)");
    }

    [Theory]
    [InlineData("opencl")]
    [InlineData("cuda")]
    public void Matmul_across_devices_names_both_devices(string deviceName)
    {
        using var other = TestDevices.Use(deviceName);
        using var tensors = Tensor.Scope();
        var onOther = Tensor.Ones([2, 3], other.Device);
        var onCpu = Tensor.Ones([3, 2], Device.Cpu);
        AssertThrows<ArgumentException>(() => onOther.MatMul(onCpu), other.Device.ToString(), "cpu", "matmul");
    }

    [Theory]
    [InlineData("opencl")]
    [InlineData("cuda")]
    public void Cat_across_devices_names_both_devices(string deviceName)
    {
        using var other = TestDevices.Use(deviceName);
        using var tensors = Tensor.Scope();
        var onCpu = Tensor.Ones([2], Device.Cpu);
        var onOther = Tensor.Ones([2], other.Device);
        AssertThrows<ArgumentException>(() => Tensor.Cat([onCpu, onOther]), "cpu", other.Device.ToString(), "cat");
    }

    [Fact]
    public void Unknown_device_name_lists_what_is_available()
    {
        AssertThrows<ArgumentException>(() => Device.Parse("tpu"), "'tpu'", "cpu, cuda, opencl", "available:");
    }

    [Fact]
    public void Absent_device_index_lists_what_is_available()
    {
        AssertThrows<InvalidOperationException>(() => Device.Cuda(7), "Cuda", "index 7", "available:", "cpu");
    }

    // ---- matmul ----------------------------------------------------------------------------------------------

    [Fact]
    public void Matmul_with_different_inner_dimensions_names_both_shapes()
    {
        using var cpu = Cpu();
        using var tensors = Tensor.Scope();
        var a = Tensor.Zeros([2, 3], cpu.Device);
        var b = Tensor.Zeros([4, 5], cpu.Device);
        AssertThrows<ArgumentException>(() => a.MatMul(b), "(2, 3)", "(4, 5)", "3 columns", "4 rows");
    }

    [Fact]
    public void Matmul_of_vectors_of_different_lengths_names_both_shapes()
    {
        using var cpu = Cpu();
        using var tensors = Tensor.Scope();
        var a = Tensor.Zeros([3], cpu.Device);
        var b = Tensor.Zeros([4], cpu.Device);
        AssertThrows<ArgumentException>(() => a.MatMul(b), "(3,)", "(4,)");
    }

    [Fact]
    public void Matmul_with_batch_dimensions_that_do_not_broadcast_names_both_shapes()
    {
        using var cpu = Cpu();
        using var tensors = Tensor.Scope();
        var a = Tensor.Zeros([2, 3, 4], cpu.Device);
        var b = Tensor.Zeros([3, 4, 5], cpu.Device);
        AssertThrows<ArgumentException>(() => a.MatMul(b), "(2, 3, 4)", "(3, 4, 5)", "batch");
    }

    [Fact]
    public void Matmul_of_a_zero_dimensional_tensor_says_so()
    {
        using var cpu = Cpu();
        using var tensors = Tensor.Scope();
        var s = Tensor.Scalar(2f, cpu.Device);
        var m = Tensor.Zeros([2, 2], cpu.Device);
        AssertThrows<ArgumentException>(() => s.MatMul(m), "()", "(2, 2)", "rank");
    }

    // ---- reductions and axes ---------------------------------------------------------------------------------

    [Fact]
    public void Sum_over_an_axis_past_the_rank_names_axis_and_rank()
    {
        using var cpu = Cpu();
        using var tensors = Tensor.Scope();
        var x = Tensor.Zeros([2, 3], cpu.Device);
        AssertThrows<ArgumentOutOfRangeException>(() => x.Sum(2), "axis 2", "rank 2");
    }

    [Fact]
    public void Sum_over_a_negative_axis_past_the_rank_names_axis_and_rank()
    {
        using var cpu = Cpu();
        using var tensors = Tensor.Scope();
        var x = Tensor.Zeros([2, 3], cpu.Device);
        AssertThrows<ArgumentOutOfRangeException>(() => x.Sum(-3, keepDim: true), "axis -3", "rank 2");
    }

    [Fact]
    public void Sum_over_the_same_axis_twice_names_it()
    {
        using var cpu = Cpu();
        using var tensors = Tensor.Scope();
        var x = Tensor.Zeros([2, 3], cpu.Device);
        AssertThrows<ArgumentException>(() => x.Sum([0, -2]), "axis 0", "twice", "rank 2");
    }

    [Fact]
    public void Mean_over_a_bad_axis_names_axis_and_rank()
    {
        using var cpu = Cpu();
        using var tensors = Tensor.Scope();
        var x = Tensor.Zeros([4], cpu.Device);
        AssertThrows<ArgumentOutOfRangeException>(() => x.Mean(1), "axis 1", "rank 1");
    }

    [Fact]
    public void Max_of_an_empty_tensor_says_the_axis_is_empty()
    {
        using var cpu = Cpu();
        using var tensors = Tensor.Scope();
        var x = Tensor.Zeros([0], cpu.Device);
        AssertThrows<ArgumentException>(() => x.Max(), "max", "(0,)", "empty");
    }

    [Fact]
    public void Max_along_an_empty_axis_names_the_axis_and_shape()
    {
        using var cpu = Cpu();
        using var tensors = Tensor.Scope();
        var x = Tensor.Zeros([2, 0], cpu.Device);
        AssertThrows<ArgumentException>(() => x.Max(1), "axis 1", "(2, 0)", "empty");
    }

    [Fact]
    public void Min_of_an_empty_tensor_says_the_axis_is_empty()
    {
        using var cpu = Cpu();
        using var tensors = Tensor.Scope();
        var x = Tensor.Zeros([3, 0], cpu.Device);
        AssertThrows<ArgumentException>(() => x.Min(), "min", "(3, 0)", "empty");
    }

    [Fact]
    public void Max_over_a_bad_axis_names_axis_and_rank()
    {
        using var cpu = Cpu();
        using var tensors = Tensor.Scope();
        var x = Tensor.Zeros([2, 3], cpu.Device);
        AssertThrows<ArgumentOutOfRangeException>(() => x.Max(5), "axis 5", "rank 2");
    }

    [Fact]
    public void Softmax_over_a_bad_axis_names_axis_and_rank()
    {
        using var cpu = Cpu();
        using var tensors = Tensor.Scope();
        var x = Tensor.Zeros([2, 3], cpu.Device);
        AssertThrows<ArgumentOutOfRangeException>(() => x.Softmax(2), "axis 2", "rank 2");
    }

    [Fact]
    public void LogSoftmax_over_a_bad_axis_names_axis_and_rank()
    {
        using var cpu = Cpu();
        using var tensors = Tensor.Scope();
        var x = Tensor.Zeros([2, 3, 4], cpu.Device);
        AssertThrows<ArgumentOutOfRangeException>(() => x.LogSoftmax(-4), "axis -4", "rank 3");
    }

    [Fact]
    public void LogSumExp_over_a_bad_axis_names_axis_and_rank()
    {
        using var cpu = Cpu();
        using var tensors = Tensor.Scope();
        var x = Tensor.Zeros([5], cpu.Device);
        AssertThrows<ArgumentOutOfRangeException>(() => x.LogSumExp(3), "axis 3", "rank 1");
    }

    // ---- shapes and views ------------------------------------------------------------------------------------

    [Fact]
    public void Reshape_with_two_inferred_dimensions_says_only_one_may_be_inferred()
    {
        using var cpu = Cpu();
        using var tensors = Tensor.Scope();
        var x = Tensor.Zeros([2, 3], cpu.Device);
        AssertThrows<ArgumentException>(() => x.Reshape(-1, -1), "(-1, -1)", "only one dimension can be -1");
    }

    [Fact]
    public void Reshape_to_a_different_size_names_both_shapes_and_sizes()
    {
        using var cpu = Cpu();
        using var tensors = Tensor.Scope();
        var x = Tensor.Zeros([2, 3], cpu.Device);
        AssertThrows<ArgumentException>(() => x.Reshape(4, 2), "(2, 3)", "6 elements", "(4, 2)", "8");
    }

    [Fact]
    public void Reshape_whose_inferred_dimension_does_not_divide_names_both_shapes()
    {
        using var cpu = Cpu();
        using var tensors = Tensor.Scope();
        var x = Tensor.Zeros([7], cpu.Device);
        AssertThrows<ArgumentException>(() => x.Reshape(2, -1), "(7,)", "(2, -1)");
    }

    [Fact]
    public void Reshape_with_a_negative_dimension_other_than_minus_one_names_it()
    {
        using var cpu = Cpu();
        using var tensors = Tensor.Scope();
        var x = Tensor.Zeros([4], cpu.Device);
        AssertThrows<ArgumentException>(() => x.Reshape(-2, -2), "invalid dimension -2");
    }

    [Fact]
    public void Expand_to_an_incompatible_shape_names_both_shapes()
    {
        using var cpu = Cpu();
        using var tensors = Tensor.Scope();
        var x = Tensor.Zeros([2, 3], cpu.Device);
        AssertThrows<ArgumentException>(() => x.Expand(4, 3), "(2, 3)", "(4, 3)");
    }

    [Fact]
    public void Expand_with_minus_one_for_a_new_dimension_says_so()
    {
        using var cpu = Cpu();
        using var tensors = Tensor.Scope();
        var x = Tensor.Zeros([3], cpu.Device);
        AssertThrows<ArgumentException>(() => x.Expand(-1, 3), "(-1, 3)", "new dimension");
    }

    [Fact]
    public void Permute_with_a_repeated_axis_names_it()
    {
        using var cpu = Cpu();
        using var tensors = Tensor.Scope();
        var x = Tensor.Zeros([2, 3, 4], cpu.Device);
        AssertThrows<ArgumentException>(() => x.Permute(0, 2, -1), "axis 2 twice", "(2, 3, 4)");
    }

    [Fact]
    public void Permute_with_too_few_axes_names_the_rank()
    {
        using var cpu = Cpu();
        using var tensors = Tensor.Scope();
        var x = Tensor.Zeros([2, 3, 4], cpu.Device);
        AssertThrows<ArgumentException>(() => x.Permute(1, 0), "rank 3", "needs 3 axes", "got 2");
    }

    [Fact]
    public void Transpose_of_an_axis_past_the_rank_names_axis_and_rank()
    {
        using var cpu = Cpu();
        using var tensors = Tensor.Scope();
        var x = Tensor.Zeros([2, 3], cpu.Device);
        AssertThrows<ArgumentOutOfRangeException>(() => x.Transpose(0, 2), "axis 2", "rank 2");
    }

    [Fact]
    public void Matrix_transpose_of_rank_three_names_the_rank_and_shape()
    {
        using var cpu = Cpu();
        using var tensors = Tensor.Scope();
        var x = Tensor.Zeros([2, 3, 4], cpu.Device);
        AssertThrows<InvalidOperationException>(() => x.T, "rank 3", "(2, 3, 4)");
    }

    [Fact]
    public void Squeeze_of_an_axis_past_the_rank_names_axis_and_rank()
    {
        using var cpu = Cpu();
        using var tensors = Tensor.Scope();
        var x = Tensor.Zeros([2, 1], cpu.Device);
        AssertThrows<ArgumentOutOfRangeException>(() => x.Squeeze(2), "axis 2", "rank 2");
    }

    [Fact]
    public void Unsqueeze_of_an_axis_past_the_rank_names_axis_rank_and_range()
    {
        using var cpu = Cpu();
        using var tensors = Tensor.Scope();
        var x = Tensor.Zeros([2, 3], cpu.Device);
        AssertThrows<ArgumentOutOfRangeException>(() => x.Unsqueeze(4), "axis 4", "rank 2", "-3..2");
    }

    [Fact]
    public void Slice_along_an_axis_past_the_rank_names_axis_and_rank()
    {
        using var cpu = Cpu();
        using var tensors = Tensor.Scope();
        var x = Tensor.Zeros([4, 5], cpu.Device);
        AssertThrows<ArgumentOutOfRangeException>(() => x.Slice(2, 0, 1), "axis 2", "rank 2");
    }

    [Fact]
    public void Slice_of_a_zero_dimensional_tensor_says_there_are_no_axes()
    {
        using var cpu = Cpu();
        using var tensors = Tensor.Scope();
        var x = Tensor.Scalar(1f, cpu.Device);
        AssertThrows<ArgumentOutOfRangeException>(() => x.Slice(0, 0, 1), "rank 0", "no axes");
    }

    [Fact]
    public void Cat_of_mismatched_shapes_names_both_shapes_and_the_axis()
    {
        using var cpu = Cpu();
        using var tensors = Tensor.Scope();
        var a = Tensor.Zeros([2, 3], cpu.Device);
        var b = Tensor.Zeros([2, 4], cpu.Device);
        AssertThrows<ArgumentException>(() => Tensor.Cat([a, b], 0), "(2, 3)", "(2, 4)", "axis 0");
    }

    [Fact]
    public void Cat_of_different_ranks_names_both_shapes()
    {
        using var cpu = Cpu();
        using var tensors = Tensor.Scope();
        var a = Tensor.Zeros([2, 3], cpu.Device);
        var b = Tensor.Zeros([3], cpu.Device);
        AssertThrows<ArgumentException>(() => Tensor.Cat([a, b], -1), "(2, 3)", "(3,)");
    }

    [Fact]
    public void Cat_of_no_tensors_says_none_were_given()
    {
        AssertThrows<ArgumentException>(() => Tensor.Cat([]), "cat", "at least one tensor");
    }

    [Fact]
    public void Cat_of_zero_dimensional_tensors_points_to_stack()
    {
        using var cpu = Cpu();
        using var tensors = Tensor.Scope();
        var a = Tensor.Scalar(1f, cpu.Device);
        var b = Tensor.Scalar(2f, cpu.Device);
        AssertThrows<ArgumentException>(() => Tensor.Cat([a, b]), "zero-dimensional", "Stack");
    }

    [Fact]
    public void Cat_along_an_axis_past_the_rank_names_axis_and_rank()
    {
        using var cpu = Cpu();
        using var tensors = Tensor.Scope();
        var a = Tensor.Zeros([2, 3], cpu.Device);
        AssertThrows<ArgumentOutOfRangeException>(() => Tensor.Cat([a, a], 2), "axis 2", "rank 2");
    }

    [Fact]
    public void Cat_of_float32_and_float64_names_both_dtypes()
    {
        using var cpu = Cpu();
        using var tensors = Tensor.Scope();
        var single = Tensor.Zeros([2], cpu.Device);
        var wide = Tensor.Zeros([2], cpu.Device, DType.Float64);
        AssertThrows<ArgumentException>(() => Tensor.Cat([single, wide]), "Float32", "Float64", "cat");
    }

    [Fact]
    public void Stack_of_mismatched_shapes_names_both_shapes()
    {
        using var cpu = Cpu();
        using var tensors = Tensor.Scope();
        var a = Tensor.Zeros([2, 3], cpu.Device);
        var b = Tensor.Zeros([3, 2], cpu.Device);
        AssertThrows<ArgumentException>(() => Tensor.Stack([a, b]), "(2, 3)", "(3, 2)", "tensor 1");
    }

    [Fact]
    public void Stack_along_an_axis_past_the_new_rank_names_axis_and_rank()
    {
        using var cpu = Cpu();
        using var tensors = Tensor.Scope();
        var a = Tensor.Zeros([2, 3], cpu.Device);
        AssertThrows<ArgumentOutOfRangeException>(() => Tensor.Stack([a, a], 3), "axis 3", "rank 2", "-3..2");
    }

    // ---- creation --------------------------------------------------------------------------------------------

    [Fact]
    public void FromArray_with_too_few_values_names_the_count_and_the_shape()
    {
        using var cpu = Cpu();
        AssertThrows<ArgumentException>(() => Tensor.FromArray([1f, 2f, 3f, 4f, 5f], [2, 3], cpu.Device),
            "5 values", "(2, 3)", "6 elements");
    }

    [Fact]
    public void FromArray_of_doubles_with_too_many_values_names_the_count_and_the_shape()
    {
        using var cpu = Cpu();
        AssertThrows<ArgumentException>(() => Tensor.FromArray([1.0, 2.0, 3.0], [2], cpu.Device),
            "3 values", "(2,)", "2 elements");
    }

    [Fact]
    public void FromArray_with_a_negative_dimension_names_the_shape()
    {
        using var cpu = Cpu();
        AssertThrows<ArgumentException>(() => Tensor.FromArray([1f, 2f], [-1, -2], cpu.Device),
            "(-1, -2)", "negative dimension");
    }

    [Fact]
    public void Zeros_with_a_negative_dimension_names_the_shape()
    {
        using var cpu = Cpu();
        AssertThrows<ArgumentException>(() => Tensor.Zeros([3, -4], cpu.Device), "(3, -4)", "negative dimension");
    }

    [Fact]
    public void Arange_with_a_zero_step_says_so()
    {
        using var cpu = Cpu();
        AssertThrows<ArgumentException>(() => Tensor.Arange(0f, 5f, 0f, cpu.Device), "step", "non-zero", "0");
    }

    // ---- autograd --------------------------------------------------------------------------------------------

    [Fact]
    public void Backward_of_a_multi_element_tensor_without_a_gradient_names_the_shape()
    {
        using var cpu = Cpu();
        using var tensors = Tensor.Scope();
        var x = Tensor.Ones([2, 2], cpu.Device, requiresGrad: true);
        var y = x * 3f;
        AssertThrows<InvalidOperationException>(() => y.Backward(), "(2, 2)", "one-element", "Sum()");
    }

    [Fact]
    public void Backward_of_a_tensor_that_does_not_require_grad_says_so()
    {
        using var cpu = Cpu();
        using var tensors = Tensor.Scope();
        var x = Tensor.Ones([3], cpu.Device);
        var y = (x * 2f).Sum();
        AssertThrows<InvalidOperationException>(() => y.Backward(), "does not require grad", "RequiresGrad");
    }

    [Fact]
    public void Backward_of_a_result_computed_under_no_grad_says_so()
    {
        using var cpu = Cpu();
        using var tensors = Tensor.Scope();
        var x = Tensor.Ones([3], cpu.Device, requiresGrad: true);
        Tensor y;
        using (Autograd.NoGrad())
        {
            y = (x * 2f).Sum();
        }
        AssertThrows<InvalidOperationException>(() => y.Backward(), "does not require grad", "NoGrad");
    }

    [Fact]
    public void Backward_with_a_gradient_of_the_wrong_shape_names_both_shapes()
    {
        using var cpu = Cpu();
        using var tensors = Tensor.Scope();
        var x = Tensor.Ones([2, 3], cpu.Device, requiresGrad: true);
        var y = x * 2f;
        var gradient = Tensor.Ones([3, 2], cpu.Device);
        AssertThrows<ArgumentException>(() => y.Backward(gradient), "(3, 2)", "(2, 3)", "gradient");
    }

    [Fact]
    public void Second_backward_through_a_freed_graph_points_to_retain_graph()
    {
        using var cpu = Cpu();
        using var tensors = Tensor.Scope();
        var x = Tensor.Ones([3], cpu.Device, requiresGrad: true);
        var y = (x * x).Sum();
        y.Backward();
        AssertThrows<InvalidOperationException>(() => y.Backward(), "second time", "retainGraph");
    }

    [Fact]
    public void Clearing_requires_grad_on_a_non_leaf_names_the_op_and_points_to_detach()
    {
        using var cpu = Cpu();
        using var tensors = Tensor.Scope();
        var x = Tensor.Ones([3], cpu.Device, requiresGrad: true);
        var y = x.Exp();
        AssertThrows<InvalidOperationException>(() => y.RequiresGrad = false, "leaf", "'exp'", "Detach()");
    }

    [Fact]
    public void Autograd_grad_for_an_input_that_does_not_require_grad_names_its_shape()
    {
        using var cpu = Cpu();
        using var tensors = Tensor.Scope();
        var x = Tensor.Ones([3], cpu.Device, requiresGrad: true);
        var constant = Tensor.Ones([4, 1], cpu.Device);
        var y = (x * 2f).Sum();
        AssertThrows<ArgumentException>(() => Autograd.Grad(y, [x, constant]), "(4, 1)", "does not require grad");
    }

    [Fact]
    public void In_place_copy_into_a_parameter_with_grad_mode_on_points_to_no_grad()
    {
        using var cpu = Cpu();
        using var tensors = Tensor.Scope();
        var w = Tensor.Ones([3], cpu.Device, requiresGrad: true);
        var update = Tensor.Zeros([3], cpu.Device);
        AssertThrows<InvalidOperationException>(() => w.CopyFrom(update), "(3,)", "requires grad", "NoGrad");
    }

    [Fact]
    public void In_place_copy_of_another_shape_names_both_shapes()
    {
        using var cpu = Cpu();
        using var tensors = Tensor.Scope();
        var target = Tensor.Zeros([2, 3], cpu.Device);
        var source = Tensor.Ones([3, 2], cpu.Device);
        AssertThrows<ArgumentException>(() => target.CopyFrom(source), "(3, 2)", "(2, 3)");
    }

    [Fact]
    public void In_place_copy_of_another_dtype_names_both_dtypes()
    {
        using var cpu = Cpu();
        using var tensors = Tensor.Scope();
        var target = Tensor.Zeros([2], cpu.Device);
        var source = Tensor.Ones([2], cpu.Device, DType.Float64);
        AssertThrows<ArgumentException>(() => target.CopyFrom(source), "Float32", "Float64");
    }

    // ---- values and lifetimes --------------------------------------------------------------------------------

    [Fact]
    public void Item_of_a_multi_element_tensor_names_the_shape_and_count()
    {
        using var cpu = Cpu();
        using var tensors = Tensor.Scope();
        var x = Tensor.Zeros([2, 3], cpu.Device);
        AssertThrows<InvalidOperationException>(() => x.Item(), "one element", "(2, 3)", "6 elements");
    }

    [Fact]
    public void Reading_a_disposed_tensor_throws_object_disposed_naming_its_shape()
    {
        using var cpu = Cpu();
        var x = Tensor.Zeros([4, 2], cpu.Device);
        x.Dispose();
        AssertThrows<ObjectDisposedException>(() => x.ToArray(), "(4, 2)", "after Dispose");
    }

    [Fact]
    public void An_op_on_a_disposed_tensor_throws_object_disposed()
    {
        using var cpu = Cpu();
        using var tensors = Tensor.Scope();
        var a = Tensor.Ones([3], cpu.Device);
        var b = Tensor.Ones([3], cpu.Device);
        b.Dispose();
        AssertThrows<ObjectDisposedException>(() => a + b, "(3,)", "after Dispose");
    }

    [Fact]
    public void LeakyRelu_of_a_disposed_tensor_throws_object_disposed()
    {
        using var cpu = Cpu();
        var x = Tensor.Ones([5], cpu.Device);
        x.Dispose();
        AssertThrows<ObjectDisposedException>(() => x.LeakyRelu(0.1f), "(5,)", "after Dispose");
    }

    [Fact]
    public void A_tensor_used_after_its_scope_ended_throws_object_disposed()
    {
        using var cpu = Cpu();
        Tensor x;
        using (Tensor.Scope())
        {
            x = Tensor.Ones([2, 2], cpu.Device);
        }
        AssertThrows<ObjectDisposedException>(() => x.Sum(), "(2, 2)", "after Dispose");
    }

    [Fact]
    public void Scopes_disposed_out_of_order_are_no_error()
    {
        // Defined since scopes may end on any thread: the outer scope's tensors go, the inner scope stays innermost.
        var outer = Tensor.Scope();
        var inner = Tensor.Scope();
        var a = Tensor.Ones([1], Device.Cpu);
        outer.Dispose();
        Assert.True(outer.IsDisposed);
        Assert.False(a.IsDisposed);
        inner.Dispose();
        Assert.True(a.IsDisposed);
    }

    /// <summary>The "cpu" row (argument checks do not depend on the device).</summary>
    private static DeviceScope Cpu() => TestDevices.Use("cpu");

    /// <summary>
    /// Asserts that <paramref name="action"/> throws exactly <typeparamref name="TException"/> and that its message
    /// contains every fragment, so a message that stops naming a shape, an axis or a device fails here.
    /// </summary>
    private static void AssertThrows<TException>(Func<object?> action, params string[] fragments)
        where TException : Exception
    {
        var error = Assert.Throws<TException>(() => action());
        foreach (string fragment in fragments)
        {
            Assert.True(error.Message.Contains(fragment, StringComparison.Ordinal),
                $"the {typeof(TException).Name} message does not name \"{fragment}\": {error.Message}");
        }
    }

    private static void AssertThrows<TException>(Action action, params string[] fragments)
        where TException : Exception =>
        AssertThrows<TException>(() =>
        {
            action();
            return null;
        }, fragments);
}
