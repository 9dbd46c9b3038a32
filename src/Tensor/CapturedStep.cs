using MicrogradPlus.Backends;

namespace MicrogradPlus;

/// <summary>
/// A training step captured once and replayed: each <see cref="Replay"/> runs the step's launches again, in order,
/// on the same memory, and skips everything else an eager step does on the host (building the autograd graph,
/// scopes, checking shapes, choosing kernels). Parameters, gradients and optimizer state change exactly as the eager
/// step would change them. Made by <see cref="CaptureExtensions.Capture"/>.
/// </summary>
/// <remarks>
/// <para>New data goes into the step through tensors created before the capture: copy each batch into them
/// (<see cref="Tensor.CopyFrom(ReadOnlySpan{float})"/>, <see cref="Tensor.CopyFrom(Tensor)"/>) between replays. Their shapes are fixed.</para>
/// <para>While it lives, the captured step holds every buffer its launches touch, including the temporaries of the
/// step, so that memory stays out of the pool; <see cref="Dispose"/> gives it back. A replay allocates nothing.</para>
/// </remarks>
public sealed class CapturedStep : IDisposable
{
    private readonly StepRecording _recording;

    internal CapturedStep(StepRecording recording, Tensor output)
    {
        _recording = recording;
        Output = output;
    }

    /// <summary>The device the step runs on.</summary>
    public Device Device => _recording.Device;

    /// <summary>
    /// The tensor the step returned (usually the loss), rewritten by every <see cref="Replay"/>. It belongs to the
    /// captured step: read it, do not dispose it.
    /// </summary>
    public Tensor Output { get; }

    /// <summary>Recorded entries: a launch each, and one per optimizer update (which runs the optimizer's step).</summary>
    public int RecordedLaunches => _recording.Count;

    /// <summary>Device buffers the captured step holds for its replays.</summary>
    public int HeldBuffers => _recording.PinnedBuffers;

    /// <summary>Runs the step again.</summary>
    /// <returns><see cref="Output"/>, holding this replay's value once the device has run it.</returns>
    /// <exception cref="ObjectDisposedException">After <see cref="Dispose"/>.</exception>
    public Tensor Replay()
    {
        _recording.Replay();
        return Output;
    }

    /// <summary>Gives the memory the step held back to the pool; <see cref="Output"/> is disposed too.</summary>
    public void Dispose()
    {
        _recording.Dispose();
        Output.Dispose();
    }
}

/// <summary>Capturing a training step on a device (see <see cref="CapturedStep"/>).</summary>
public static class CaptureExtensions
{
    /// <summary>
    /// Runs <paramref name="step"/> once as usual (the warm-up: kernels are compiled, optimizer state is created),
    /// then once more while recording its launches, without running them; each <see cref="CapturedStep.Replay"/> then
    /// runs one step. So after the capture the model has taken one step, as after a first eager call.
    /// </summary>
    /// <param name="device">The device the step runs on; every tensor the step touches lives there.</param>
    /// <param name="step">
    /// One training step that returns a tensor (usually the loss): typically ZeroGrad, forward, loss, Backward and
    /// the optimizer's Step, reading its inputs from tensors created before the capture.
    /// </param>
    /// <returns>The captured step; dispose it to give its memory back.</returns>
    /// <exception cref="InvalidOperationException">
    /// The step does something a replay could not repeat, named in the message: it copies host data to the device
    /// (<see cref="Tensor.FromArray(float[], int[], Device?, bool)"/>, a loss with an <c>int[]</c> target), reads device
    /// data on the host (<see cref="Tensor.Item"/>, <see cref="Tensor.ToArray"/>), draws random numbers, or launches
    /// work on another device. Nothing is left captured or held then.
    /// </exception>
    /// <example>
    /// <code>
    /// using var x = Tensor.Zeros([64, 2], device);          // inputs live before the capture
    /// using var y = Tensor.Zeros([64, 1], device);
    /// using var captured = device.Capture(() =>
    /// {
    ///     optimizer.ZeroGrad();
    ///     var loss = Functional.Mse(model.Forward(x), y);
    ///     loss.Backward();
    ///     optimizer.Step();
    ///     return loss;
    /// });
    /// foreach (var (xb, yb) in batches)
    /// {
    ///     x.CopyFrom(xb);
    ///     y.CopyFrom(yb);
    ///     captured.Replay();
    /// }
    /// </code>
    /// </example>
    public static CapturedStep Capture(this Device device, Func<Tensor> step)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(step);
        var warmUp = step() ?? throw new InvalidOperationException("Capture: the step returned null");
        RequireOn(device, warmUp);
        var recording = StepRecording.Start(device);
        Tensor output;
        try
        {
            output = step() ?? throw new InvalidOperationException("Capture: the step returned null");
            RequireOn(device, output);
            recording.Stop();
        }
        catch
        {
            recording.Dispose();
            warmUp.Dispose(); // the step's output belongs to the capture, which is not made
            throw;
        }
        if (!ReferenceEquals(warmUp, output))
        {
            warmUp.Dispose();
        }
        return new CapturedStep(recording, output);
    }

    private static void RequireOn(Device device, Tensor output)
    {
        if (!ReferenceEquals(output.Device, device))
        {
            throw new ArgumentException(
                $"Capture: the step's output is on {output.Device}, but the capture is for {device}", nameof(device));
        }
    }
}
