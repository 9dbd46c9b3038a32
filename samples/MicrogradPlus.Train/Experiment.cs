using MicrogradPlus.Data;
using MicrogradPlus.Nn;

namespace MicrogradPlus.Train;

/// <summary>Data loading, evaluation and the graph picture of the training sample.</summary>
internal static class Experiment
{
    /// <summary>The hidden activation named on the command line.</summary>
    public static Activation ActivationOf(string name) => name switch
    {
        "tanh" => Activation.Tanh,
        "sigmoid" => Activation.Sigmoid,
        "gelu" => Activation.Gelu,
        "leakyrelu" => Activation.LeakyRelu,
        "silu" => Activation.Silu,
        _ => Activation.Relu,
    };

    /// <summary>Mean cross-entropy and accuracy over the whole set, without recording a graph.</summary>
    public static (double Loss, double Accuracy) Evaluate(Module model, Dataset data, Device device)
    {
        using var scope = Tensor.Scope();
        using var noGrad = Autograd.NoGrad();
        var logits = model.Forward(data.ToTensor(device));
        double loss = Functional.CrossEntropy(logits, data.Labels).Item();
        int[] predicted = logits.ArgMaxIndices(1);
        int correct = 0;
        for (int i = 0; i < predicted.Length; i++)
        {
            correct += predicted[i] == data.Labels[i] ? 1 : 0;
        }
        return (loss, (double)correct / data.Count);
    }

    /// <summary>Graphviz text of one training step's graph (forward and loss) on the first rows.</summary>
    public static string OneStepGraph(Module model, Dataset data, int rows, Device device)
    {
        using var scope = Tensor.Scope();
        var indices = Enumerable.Range(0, rows).ToArray();
        var batch = data.Subset(indices);
        var input = batch.ToTensor(device);
        var loss = Functional.CrossEntropy(model.Forward(input), batch.Labels);
        var names = new Dictionary<Tensor, string>(ReferenceEqualityComparer.Instance) { [input] = "x", [loss] = "loss" };
        foreach (var (name, parameter) in model.NamedParameters())
        {
            names[parameter] = name;
        }
        return Graph.ToDot(loss, names);
    }
}

/// <summary>Per-epoch metrics on the training and test sets, for the loss plot.</summary>
internal sealed class History
{
    public List<double> Epochs { get; } = [];
    public List<double> Loss { get; } = [];
    public List<double> Accuracy { get; } = [];
    public List<double> TestLoss { get; } = [];
    public List<double> TestAccuracy { get; } = [];

    public void Add(int epoch, (double Loss, double Accuracy) train, (double Loss, double Accuracy) test)
    {
        Epochs.Add(epoch);
        Loss.Add(train.Loss);
        Accuracy.Add(train.Accuracy);
        TestLoss.Add(test.Loss);
        TestAccuracy.Add(test.Accuracy);
    }
}
