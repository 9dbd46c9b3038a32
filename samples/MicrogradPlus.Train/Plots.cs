using MicrogradPlus.Data;
using MicrogradPlus.Nn;
using ScottPlot;

namespace MicrogradPlus.Train;

/// <summary>The PNG pictures: training and test curves, and a 2-D decision boundary.</summary>
internal static class Plots
{
    private static readonly ScottPlot.Palettes.Category10 Palette = new();

    /// <summary>Loss (left axis) and accuracy (right axis) per epoch, on the training set (solid) and test set (dashed).</summary>
    public static void LossCurves(History history, string title, string path)
    {
        var plot = new Plot();
        double[] epochs = [.. history.Epochs];
        var colors = (Loss: Palette.GetColor(0), Accuracy: Palette.GetColor(1));
        Curve(plot, epochs, history.Loss, "training loss (cross-entropy)", colors.Loss, dashed: false, right: false);
        Curve(plot, epochs, history.TestLoss, "test loss", colors.Loss, dashed: true, right: false);
        Curve(plot, epochs, history.Accuracy.Select(a => a * 100), "training accuracy (%)", colors.Accuracy,
            dashed: false, right: true);
        Curve(plot, epochs, history.TestAccuracy.Select(a => a * 100), "test accuracy (%)", colors.Accuracy,
            dashed: true, right: true);
        plot.Axes.Left.Label.Text = "loss";
        plot.Axes.Right.Label.Text = "accuracy (%)";
        plot.Axes.Bottom.Label.Text = "epoch";
        double maxLoss = Math.Max(history.Loss.Max(), history.TestLoss.Max());
        plot.Axes.SetLimitsY(0, Math.Max(maxLoss * 1.05, 1e-3), plot.Axes.Left);
        plot.Axes.SetLimitsY(0, 100, plot.Axes.Right);
        plot.Title($"MicrogradPlus MLP on {title}");
        plot.ShowLegend(Alignment.MiddleRight);
        plot.SavePng(path, 900, 540);
    }

    private static void Curve(Plot plot, double[] xs, IEnumerable<double> ys, string label, Color color, bool dashed,
        bool right)
    {
        var curve = plot.Add.Scatter(xs, ys.ToArray());
        curve.LegendText = label;
        curve.MarkerSize = 0;
        curve.LineWidth = 2;
        curve.Color = color;
        curve.LinePattern = dashed ? LinePattern.Dashed : LinePattern.Solid;
        if (right)
        {
            curve.Axes.YAxis = plot.Axes.Right;
        }
    }

    /// <summary>
    /// The predicted class over a fine grid, shaded in each class's colour, with the training points (filled circles)
    /// and test points (open triangles) on top in the same colours.
    /// </summary>
    public static void DecisionBoundary(Module model, Dataset train, Dataset test, Device device, string path)
    {
        const int grid = 400; // fine enough that the boundary's steps are under a pixel's width at 720 × 640
        float xMin = float.MaxValue, xMax = float.MinValue, yMin = float.MaxValue, yMax = float.MinValue;
        foreach (var data in new[] { train, test })
        {
            for (int i = 0; i < data.Count; i++)
            {
                var row = data.Row(i);
                xMin = Math.Min(xMin, row[0]);
                xMax = Math.Max(xMax, row[0]);
                yMin = Math.Min(yMin, row[1]);
                yMax = Math.Max(yMax, row[1]);
            }
        }
        float padX = 0.1f * (xMax - xMin), padY = 0.1f * (yMax - yMin);
        (xMin, xMax, yMin, yMax) = (xMin - padX, xMax + padX, yMin - padY, yMax + padY);
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
        heatmap.Colormap = new ClassColors(train.Classes);
        heatmap.ManualRange = new ScottPlot.Range(0, Math.Max(1, train.Classes - 1));
        heatmap.Opacity = 0.3;
        AddPoints(plot, train, "train", MarkerShape.FilledCircle);
        AddPoints(plot, test, "test", MarkerShape.OpenTriangleUp);
        plot.Axes.SetLimits(xMin, xMax, yMin, yMax);
        plot.Axes.Bottom.Label.Text = "feature 1 (x₁)";
        plot.Axes.Left.Label.Text = "feature 2 (x₂)";
        plot.Title($"Decision boundary on {train.Name.Split('/')[0]} (shade: predicted class)");
        plot.ShowLegend();
        plot.SavePng(path, 720, 640);
    }

    private static void AddPoints(Plot plot, Dataset data, string set, MarkerShape shape)
    {
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
            scatter.Color = Palette.GetColor(label);
            scatter.MarkerShape = shape;
            scatter.MarkerSize = shape == MarkerShape.FilledCircle ? 6 : 8;
            scatter.LegendText = $"class {label} ({set})";
        }
    }

    /// <summary>Class k of n (the heatmap's value k, scaled to k / (n − 1)) in the points' colour for class k.</summary>
    private sealed class ClassColors(int classes) : IColormap
    {
        public string Name => "classes";

        public Color GetColor(double position) =>
            Palette.GetColor((int)Math.Round(Math.Clamp(position, 0, 1) * Math.Max(1, classes - 1)));
    }
}
