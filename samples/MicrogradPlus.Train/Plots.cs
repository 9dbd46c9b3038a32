using MicrogradPlus.Data;
using MicrogradPlus.Nn;
using ScottPlot;

namespace MicrogradPlus.Train;

/// <summary>The PNG pictures: training curves and a 2-D decision boundary.</summary>
internal static class Plots
{
    /// <summary>Loss (left axis, log scale-free) and accuracy (right axis) per epoch.</summary>
    public static void LossCurves(History history, string title, string path)
    {
        var plot = new Plot();
        var loss = plot.Add.Scatter(history.Epochs.ToArray(), history.Loss.ToArray());
        loss.LegendText = "training loss (cross-entropy)";
        loss.MarkerSize = 0;
        loss.LineWidth = 2;
        var accuracy = plot.Add.Scatter(history.Epochs.ToArray(), history.Accuracy.Select(a => a * 100).ToArray());
        accuracy.LegendText = "training accuracy (%)";
        accuracy.MarkerSize = 0;
        accuracy.LineWidth = 2;
        accuracy.Axes.YAxis = plot.Axes.Right;
        plot.Axes.Left.Label.Text = "loss";
        plot.Axes.Right.Label.Text = "accuracy (%)";
        plot.Axes.Bottom.Label.Text = "epoch";
        plot.Axes.SetLimitsY(0, Math.Max(history.Loss.Max() * 1.05, 1e-3), plot.Axes.Left);
        plot.Axes.SetLimitsY(0, 100, plot.Axes.Right);
        plot.Title($"MicrogradPlus MLP on {title}");
        plot.ShowLegend(Alignment.MiddleRight);
        plot.SavePng(path, 900, 540);
    }

    /// <summary>The predicted class over a grid (shaded) with the training points on top, colored by label.</summary>
    public static void DecisionBoundary(Module model, Dataset data, Device device, string path)
    {
        const int grid = 150;
        float xMin = float.MaxValue, xMax = float.MinValue, yMin = float.MaxValue, yMax = float.MinValue;
        for (int i = 0; i < data.Count; i++)
        {
            var row = data.Row(i);
            xMin = Math.Min(xMin, row[0]);
            xMax = Math.Max(xMax, row[0]);
            yMin = Math.Min(yMin, row[1]);
            yMax = Math.Max(yMax, row[1]);
        }
        float padX = 0.15f * (xMax - xMin), padY = 0.15f * (yMax - yMin);
        xMin -= padX;
        xMax += padX;
        yMin -= padY;
        yMax += padY;
        var points = new float[grid * grid * 2];
        for (int r = 0; r < grid; r++)
        {
            for (int c = 0; c < grid; c++)
            {
                int k = (r * grid + c) * 2;
                points[k] = xMin + (xMax - xMin) * (c + 0.5f) / grid;
                points[k + 1] = yMax - (yMax - yMin) * (r + 0.5f) / grid;
            }
        }
        int[] predicted;
        using (Tensor.Scope())
        using (Autograd.NoGrad())
        {
            predicted = model.Forward(Tensor.FromArray(points, [grid * grid, 2], device)).ArgMaxIndices(1);
        }
        var classes = new double[grid, grid];
        for (int r = 0; r < grid; r++)
        {
            for (int c = 0; c < grid; c++)
            {
                classes[r, c] = predicted[r * grid + c];
            }
        }
        var plot = new Plot();
        var heatmap = plot.Add.Heatmap(classes);
        heatmap.Extent = new CoordinateRect(xMin, xMax, yMin, yMax);
        heatmap.Colormap = new ScottPlot.Colormaps.Viridis();
        heatmap.Opacity = 0.35;
        var palette = new ScottPlot.Palettes.Category10();
        for (int label = 0; label < data.Classes; label++)
        {
            var xs = new List<double>();
            var ys = new List<double>();
            for (int i = 0; i < data.Count; i++)
            {
                if (data.Labels[i] == label)
                {
                    xs.Add(data.Row(i)[0]);
                    ys.Add(data.Row(i)[1]);
                }
            }
            var scatter = plot.Add.ScatterPoints(xs.ToArray(), ys.ToArray());
            scatter.Color = palette.GetColor(label);
            scatter.MarkerSize = 6;
            scatter.LegendText = $"class {label}";
        }
        plot.Axes.SetLimits(xMin, xMax, yMin, yMax);
        plot.Title($"Decision boundary on {data.Name}");
        plot.ShowLegend();
        plot.SavePng(path, 720, 640);
    }
}
