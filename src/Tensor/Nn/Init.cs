using MicrogradPlus.Backends;

namespace MicrogradPlus.Nn;

/// <summary>Which fan <see cref="Init.KaimingUniform"/> and <see cref="Init.KaimingNormal"/> keep the variance of.</summary>
public enum FanMode
{
    /// <summary>Inputs per output (weight [out, in, …]: in × receptive field): preserves the forward pass's variance.</summary>
    FanIn,
    /// <summary>Outputs per input (out × receptive field): preserves the backward pass's variance.</summary>
    FanOut,
}

/// <summary>The nonlinearity whose gain (<see cref="Init.CalculateGain"/>) scales an initialisation.</summary>
public enum Nonlinearity
{
    /// <summary>Gain 1.</summary>
    Linear,
    /// <summary>Gain 1.</summary>
    Sigmoid,
    /// <summary>Gain 5/3.</summary>
    Tanh,
    /// <summary>Gain √2.</summary>
    Relu,
    /// <summary>Gain √(2 / (1 + a²)) for negative slope a.</summary>
    LeakyRelu,
    /// <summary>Gain 3/4.</summary>
    Selu,
}

/// <summary>
/// Weight initialisation in place, as torch.nn.init: each function overwrites the tensor's values (under no-grad, so
/// parameters are fine) and returns it. Random draws come from the <c>seed</c> argument when one is given — the same
/// values on every device — else from the global generator that <see cref="Tensor.ManualSeed"/> resets. The fans of
/// a weight [out, in, k…] are in·k… (fan in) and out·k… (fan out), as torch computes them.
/// </summary>
public static class Init
{
    /// <summary>
    /// torch.nn.init.calculate_gain: 1 for linear and sigmoid, 5/3 for tanh, √2 for relu, √(2/(1 + a²)) for leaky
    /// relu with negative slope <paramref name="param"/> (0.01 when null), 3/4 for selu.
    /// </summary>
    /// <param name="nonlinearity">The activation function that follows the layer.</param>
    /// <param name="param">The negative slope for <see cref="Nonlinearity.LeakyRelu"/> (null: 0.01); ignored
    /// otherwise.</param>
    /// <returns>The recommended gain.</returns>
    public static double CalculateGain(Nonlinearity nonlinearity, double? param = null) => nonlinearity switch
    {
        Nonlinearity.Linear or Nonlinearity.Sigmoid => 1.0,
        Nonlinearity.Tanh => 5.0 / 3.0,
        Nonlinearity.Relu => Math.Sqrt(2.0),
        Nonlinearity.LeakyRelu => Math.Sqrt(2.0 / (1 + Math.Pow(param ?? 0.01, 2))),
        Nonlinearity.Selu => 0.75,
        _ => throw new ArgumentOutOfRangeException(nameof(nonlinearity), nonlinearity, "unknown nonlinearity"),
    };

    /// <summary>Uniform values in [<paramref name="low"/>, <paramref name="high"/>) (torch.nn.init.uniform_).</summary>
    /// <param name="tensor">The tensor to overwrite.</param>
    /// <param name="low">The lower bound (default 0).</param>
    /// <param name="high">The upper bound, excluded (default 1).</param>
    /// <param name="seed">The seed of the draw, or null (default) for the global generator.</param>
    /// <returns><paramref name="tensor"/>, filled.</returns>
    public static Tensor Uniform(Tensor tensor, double low = 0, double high = 1, ulong? seed = null)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (!(low <= high))
        {
            throw new ArgumentException($"Init.Uniform: low {low} must not exceed high {high}");
        }
        return Draw(tensor, seed, normal: false, scale: high - low, shift: low);
    }

    /// <summary>Normal values with <paramref name="mean"/> and standard deviation <paramref name="std"/> (normal_).</summary>
    /// <param name="tensor">The tensor to overwrite.</param>
    /// <param name="mean">The mean (default 0).</param>
    /// <param name="std">The standard deviation (default 1).</param>
    /// <param name="seed">The seed of the draw, or null (default) for the global generator.</param>
    /// <returns><paramref name="tensor"/>, filled.</returns>
    public static Tensor Normal(Tensor tensor, double mean = 0, double std = 1, ulong? seed = null)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (!(std >= 0))
        {
            throw new ArgumentException($"Init.Normal: the standard deviation must be ≥ 0, got {std}");
        }
        return Draw(tensor, seed, normal: true, scale: std, shift: mean);
    }

    /// <summary>Every element <paramref name="value"/> (torch.nn.init.constant_).</summary>
    /// <param name="tensor">The tensor to overwrite.</param>
    /// <param name="value">The value written to every element.</param>
    /// <returns><paramref name="tensor"/>, filled.</returns>
    public static Tensor Constant(Tensor tensor, double value)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using var noGrad = Autograd.NoGrad();
        using var filled = Tensor.Full(tensor.ShapeRef, (float)value, tensor.Device, tensor.DType);
        return tensor.CopyFrom(filled);
    }

    /// <summary>Every element 0 (torch.nn.init.zeros_).</summary>
    /// <param name="tensor">The tensor to overwrite.</param>
    /// <returns><paramref name="tensor"/>, filled.</returns>
    public static Tensor Zeros(Tensor tensor) => Constant(tensor, 0);

    /// <summary>Every element 1 (torch.nn.init.ones_).</summary>
    /// <param name="tensor">The tensor to overwrite.</param>
    /// <returns><paramref name="tensor"/>, filled.</returns>
    public static Tensor Ones(Tensor tensor) => Constant(tensor, 1);

    /// <summary>
    /// He initialisation, uniform (torch.nn.init.kaiming_uniform_): U(−b, b) with b = gain·√(3 / fan), gain from
    /// <paramref name="nonlinearity"/> and the negative slope <paramref name="a"/>, fan from <paramref name="mode"/>.
    /// torch's default Linear weight is this with a = √5: U(±1/√in).
    /// </summary>
    /// <param name="tensor">The weight to overwrite, at least 2-D.</param>
    /// <param name="a">The negative slope of the leaky relu that follows (default 0).</param>
    /// <param name="mode">Whether the fan in (default) or the fan out sets the scale.</param>
    /// <param name="nonlinearity">The activation function that follows (default leaky relu).</param>
    /// <param name="seed">The seed of the draw, or null (default) for the global generator.</param>
    /// <returns><paramref name="tensor"/>, filled.</returns>
    public static Tensor KaimingUniform(Tensor tensor, double a = 0, FanMode mode = FanMode.FanIn,
        Nonlinearity nonlinearity = Nonlinearity.LeakyRelu, ulong? seed = null)
    {
        double bound = Math.Sqrt(3.0) * KaimingStd(tensor, a, mode, nonlinearity, "KaimingUniform");
        return Draw(tensor, seed, normal: false, scale: 2 * bound, shift: -bound);
    }

    /// <summary>
    /// He initialisation, normal (torch.nn.init.kaiming_normal_): N(0, std²) with std = gain / √fan, as
    /// <see cref="KaimingUniform"/>.
    /// </summary>
    /// <param name="tensor">The weight to overwrite, at least 2-D.</param>
    /// <param name="a">The negative slope of the leaky relu that follows (default 0).</param>
    /// <param name="mode">Whether the fan in (default) or the fan out sets the scale.</param>
    /// <param name="nonlinearity">The activation function that follows (default leaky relu).</param>
    /// <param name="seed">The seed of the draw, or null (default) for the global generator.</param>
    /// <returns><paramref name="tensor"/>, filled.</returns>
    public static Tensor KaimingNormal(Tensor tensor, double a = 0, FanMode mode = FanMode.FanIn,
        Nonlinearity nonlinearity = Nonlinearity.LeakyRelu, ulong? seed = null) =>
        Draw(tensor, seed, normal: true, scale: KaimingStd(tensor, a, mode, nonlinearity, "KaimingNormal"), shift: 0);

    /// <summary>
    /// Glorot initialisation, uniform (torch.nn.init.xavier_uniform_): U(−b, b) with
    /// b = gain·√(6 / (fan in + fan out)).
    /// </summary>
    /// <param name="tensor">The weight to overwrite, at least 2-D.</param>
    /// <param name="gain">The scale factor (default 1), e.g. from <see cref="CalculateGain"/>.</param>
    /// <param name="seed">The seed of the draw, or null (default) for the global generator.</param>
    /// <returns><paramref name="tensor"/>, filled.</returns>
    public static Tensor XavierUniform(Tensor tensor, double gain = 1, ulong? seed = null)
    {
        double bound = Math.Sqrt(3.0) * XavierStd(tensor, gain, "XavierUniform");
        return Draw(tensor, seed, normal: false, scale: 2 * bound, shift: -bound);
    }

    /// <summary>
    /// Glorot initialisation, normal (torch.nn.init.xavier_normal_): N(0, std²) with
    /// std = gain·√(2 / (fan in + fan out)).
    /// </summary>
    /// <param name="tensor">The weight to overwrite, at least 2-D.</param>
    /// <param name="gain">The scale factor (default 1), e.g. from <see cref="CalculateGain"/>.</param>
    /// <param name="seed">The seed of the draw, or null (default) for the global generator.</param>
    /// <returns><paramref name="tensor"/>, filled.</returns>
    public static Tensor XavierNormal(Tensor tensor, double gain = 1, ulong? seed = null) =>
        Draw(tensor, seed, normal: true, scale: XavierStd(tensor, gain, "XavierNormal"), shift: 0);

    /// <summary>
    /// The fans of a weight of <paramref name="shape"/> [out, in, k…]: (in·k…, out·k…), as torch's
    /// _calculate_fan_in_and_fan_out; a weight needs at least two dimensions.
    /// </summary>
    /// <param name="shape">The weight's shape [out, in, k…], at least two dimensions.</param>
    /// <returns>The fan in (in·k…) and the fan out (out·k…).</returns>
    public static (int FanIn, int FanOut) Fans(int[] shape) => FansOf(shape, "Init.Fans");

    private static (int FanIn, int FanOut) FansOf(int[] shape, string what)
    {
        ArgumentNullException.ThrowIfNull(shape);
        if (shape.Length < 2)
        {
            throw new ArgumentException(
                $"{what}: fan in and fan out need a tensor of at least 2 dimensions, got shape {Shapes.Format(shape)}");
        }
        int receptive = 1;
        for (int d = 2; d < shape.Length; d++)
        {
            receptive *= shape[d];
        }
        return (shape[1] * receptive, shape[0] * receptive);
    }

    private static double KaimingStd(Tensor tensor, double a, FanMode mode, Nonlinearity nonlinearity, string what)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        var (fanIn, fanOut) = FansOf(tensor.ShapeRef, what);
        int fan = mode == FanMode.FanIn ? fanIn : fanOut;
        if (fan == 0)
        {
            throw new ArgumentException($"{what}: a tensor of shape {Shapes.Format(tensor.ShapeRef)} has fan 0");
        }
        return CalculateGain(nonlinearity, a) / Math.Sqrt(fan);
    }

    private static double XavierStd(Tensor tensor, double gain, string what)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        var (fanIn, fanOut) = FansOf(tensor.ShapeRef, what);
        if (fanIn + fanOut == 0)
        {
            throw new ArgumentException($"{what}: a tensor of shape {Shapes.Format(tensor.ShapeRef)} has no fans");
        }
        return gain * Math.Sqrt(2.0 / (fanIn + fanOut));
    }

    /// <summary>tensor = draw · scale + shift, the draw uniform in [0, 1) or standard normal, on tensor's device.</summary>
    private static Tensor Draw(Tensor tensor, ulong? seed, bool normal, double scale, double shift)
    {
        using var noGrad = Autograd.NoGrad();
        using var temporaries = Tensor.Scope();
        var draw = normal
            ? Tensor.Randn(tensor.ShapeRef, seed, tensor.Device, tensor.DType)
            : Tensor.Rand(tensor.ShapeRef, seed, tensor.Device, tensor.DType);
        return tensor.CopyFrom(draw * (float)scale + (float)shift);
    }
}
