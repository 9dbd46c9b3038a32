using ILGPU;

namespace MicrogradPlus.Kernels;

/// <summary>
/// A counter-based generator: element i of a stream is a hash of (seed, i), so every device, grid size and host loop
/// produces the same numbers for the same seed, and no generator state lives on the device.
/// </summary>
internal static class CounterRandom
{
    /// <summary>SplitMix64's finaliser applied to seed + counter·φ: a full-avalanche 64-bit hash.</summary>
    public static ulong Hash(ulong seed, ulong counter)
    {
        ulong z = seed + (counter + 1UL) * 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>A float in [0, 1) from the top 24 bits of a hash: every value is exactly representable.</summary>
    public static float Unit(ulong hash) => (int)(hash >> 40) * (1f / 16777216f);

    /// <summary>A float in (0, 1] — safe under a logarithm.</summary>
    public static float UnitNonZero(ulong hash) => ((int)(hash >> 40) + 1) * (1f / 16777216f);
}

/// <summary>y[i] = low + (high − low)·U(seed, i), U uniform in [0, 1).</summary>
internal struct UniformBody(ArrayView<float> y, ulong seed, float low, float high) : IRandomBody
{
    private readonly ArrayView<float> _y = y;
    private readonly ulong _seed = seed;
    private readonly float _low = low, _high = high;

    /// <inheritdoc/>
    public readonly void Execute(int index) =>
        _y[index] = _low + (_high - _low) * CounterRandom.Unit(CounterRandom.Hash(_seed, (ulong)index));
}

/// <summary>y[i] = mean + std·√(−2 ln U₁)·cos(2π U₂), Box–Muller with U₁, U₂ from counters 2i and 2i+1.</summary>
internal struct NormalBody(ArrayView<float> y, ulong seed, float mean, float std) : IRandomBody
{
    private readonly ArrayView<float> _y = y;
    private readonly ulong _seed = seed;
    private readonly float _mean = mean, _std = std;

    /// <inheritdoc/>
    public readonly void Execute(int index)
    {
        ulong counter = 2UL * (ulong)index;
        float u1 = CounterRandom.UnitNonZero(CounterRandom.Hash(_seed, counter));
        float u2 = CounterRandom.Unit(CounterRandom.Hash(_seed, counter + 1UL));
        float radius = MathF.Sqrt(-2f * MathF.Log(u1));
        _y[index] = _mean + _std * radius * MathF.Cos(6.283185307179586f * u2);
    }
}

/// <summary>
/// A body that draws random numbers from a seed chosen on the host: a recorded step would replay the same numbers, so
/// a capture refuses it.
/// </summary>
internal interface IRandomBody : IElementBody;
