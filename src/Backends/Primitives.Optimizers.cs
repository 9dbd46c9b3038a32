using System.Numerics;
using ILGPU;
using MicrogradPlus.Kernels;

namespace MicrogradPlus.Backends;

internal static partial class Primitives
{
    /// <summary>One fused SGD update of <paramref name="parameter"/> in place (see <see cref="SgdSlot"/>).</summary>
    public static void SgdStep(DeviceBuffer<float> parameter, DeviceBuffer<float> grad,
        DeviceBuffer<float> momentumBuffer, SgdSettings settings) =>
        SgdSteps([new SgdUpdate(parameter, grad, momentumBuffer, settings)]);

    /// <summary>
    /// SGD updates of several parameters, up to <see cref="UpdateSlots{TSlot}.Capacity"/> per launch (consecutive
    /// parameters on one device share a launch).
    /// </summary>
    public static void SgdSteps(IReadOnlyList<SgdUpdate> updates)
    {
        ArgumentNullException.ThrowIfNull(updates);
        foreach (var u in updates)
        {
            RequireUpdateOperands(u.Parameter, u.Grad, u.MomentumBuffer, "SGD");
        }
        foreach (var (device, group, total) in Launches(updates, u => u.Parameter))
        {
            device.Executor.Sgd(group, total);
        }
    }

    /// <summary>One fused Adam/AdamW update of <paramref name="parameter"/> in place (see <see cref="AdamSlot"/>).</summary>
    public static void AdamStep(DeviceBuffer<float> parameter, DeviceBuffer<float> grad, DeviceBuffer<float> m,
        DeviceBuffer<float> v, AdamSettings settings) => AdamSteps([new AdamUpdate(parameter, grad, m, v, settings)]);

    /// <summary>Adam/AdamW updates of several parameters, up to eight per launch (see <see cref="SgdSteps"/>).</summary>
    public static void AdamSteps(IReadOnlyList<AdamUpdate> updates)
    {
        ArgumentNullException.ThrowIfNull(updates);
        foreach (var u in updates)
        {
            RequireUpdateOperands(u.Parameter, u.Grad, u.M, "Adam");
            RequireUpdateOperands(u.Parameter, u.Grad, u.V, "Adam");
        }
        foreach (var (device, group, total) in Launches(updates, u => u.Parameter))
        {
            device.Executor.Adam(group, total);
        }
    }

    /// <summary>
    /// Consecutive non-empty parameters of one device, up to <see cref="UpdateSlots{TSlot}.Capacity"/> at a time: a
    /// launch each, whose index range is the parameters' elements one after another.
    /// </summary>
    private static IEnumerable<(Device Device, List<Slice<TUpdate>> Group, int Total)> Launches<TUpdate>(
        IReadOnlyList<TUpdate> updates, Func<TUpdate, DeviceBuffer<float>> parameterOf)
    {
        int next = 0;
        while (next < updates.Count)
        {
            var device = parameterOf(updates[next]).Device;
            var group = new List<Slice<TUpdate>>(UpdateSlots<SgdSlot>.Capacity);
            int total = 0;
            while (next < updates.Count && group.Count < UpdateSlots<SgdSlot>.Capacity &&
                   ReferenceEquals(parameterOf(updates[next]).Device, device))
            {
                var update = updates[next++];
                int length = checked((int)parameterOf(update).Length);
                if (length > 0)
                {
                    group.Add(new Slice<TUpdate>(update, total, length));
                    total = checked(total + length);
                }
            }
            if (group.Count > 0)
            {
                yield return (device, group, total);
            }
        }
    }

    private static void RequireUpdateOperands(DeviceBuffer<float> parameter, DeviceBuffer<float> grad,
        DeviceBuffer<float> state, string what)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        ArgumentNullException.ThrowIfNull(grad);
        ArgumentNullException.ThrowIfNull(state);
        RequireSameDevice(parameter.Device, grad.Device, what);
        RequireSameDevice(parameter.Device, state.Device, what);
        if (grad.Length != parameter.Length || state.Length != parameter.Length)
        {
            throw new ArgumentException($"{what}: parameter has {parameter.Length} elements, gradient " +
                                        $"{grad.Length}, state {state.Length}");
        }
    }
}

/// <summary>One parameter's SGD update: its memory, gradient, momentum buffer and the step's scalars.</summary>
internal readonly record struct SgdUpdate(
    DeviceBuffer<float> Parameter, DeviceBuffer<float> Grad, DeviceBuffer<float> MomentumBuffer, SgdSettings Settings);

/// <summary>One parameter's Adam/AdamW update: its memory, gradient, moment estimates and the step's scalars.</summary>
internal readonly record struct AdamUpdate(
    DeviceBuffer<float> Parameter, DeviceBuffer<float> Grad, DeviceBuffer<float> M, DeviceBuffer<float> V,
    AdamSettings Settings);
