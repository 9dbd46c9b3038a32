namespace MicrogradPlus.Nn;

/// <summary>Modules applied one after another; children are named "0", "1", … as in torch.nn.Sequential.</summary>
public sealed class Sequential : Module
{
    private readonly List<Module> _layers = [];

    /// <summary>A chain of <paramref name="layers"/>.</summary>
    /// <param name="layers">The modules to apply, in order.</param>
    public Sequential(params Module[] layers)
    {
        ArgumentNullException.ThrowIfNull(layers);
        foreach (var layer in layers)
        {
            _layers.Add(RegisterModule(_layers.Count.ToString(System.Globalization.CultureInfo.InvariantCulture),
                layer));
        }
    }

    /// <summary>The layers in order.</summary>
    public IReadOnlyList<Module> Layers => _layers;

    /// <summary>The layers applied in order.</summary>
    /// <remarks>
    /// A <see cref="Linear"/> followed by a <see cref="Relu"/>, <see cref="Tanh"/> or <see cref="Sigmoid"/> runs as one
    /// op, act(x·Wᵀ + b), in the launch of the product (fewer launches per step, which is what bounds a small network's
    /// step on a GPU). The result, its gradients and the state dict are those of the two layers, bit for bit; only the
    /// graph shows one node ("addmm_relu", "addmm_tanh", "addmm_sigmoid") where it showed two.
    /// </remarks>
    /// <param name="input">The input of the first layer.</param>
    /// <returns>The output of the last layer.</returns>
    public override Tensor Forward(Tensor input)
    {
        var x = input;
        for (int i = 0; i < _layers.Count; i++)
        {
            var activation = i + 1 < _layers.Count ? EpilogueOf(_layers[i + 1]) : Epilogue.None;
            if (_layers[i] is Linear linear && activation != Epilogue.None)
            {
                x = linear.Forward(x, activation);
                i++;
                continue;
            }
            x = _layers[i].Forward(x);
        }
        return x;
    }

    /// <summary>The activation a matmul can apply as it stores its result, for the layer after a Linear.</summary>
    private static Epilogue EpilogueOf(Module next) => next switch
    {
        Relu => Epilogue.Relu,
        Tanh => Epilogue.Tanh,
        Sigmoid => Epilogue.Sigmoid,
        _ => Epilogue.None,
    };
}
