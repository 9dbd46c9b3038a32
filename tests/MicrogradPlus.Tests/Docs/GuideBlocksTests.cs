using System.Text.RegularExpressions;
using Xunit;

namespace MicrogradPlus.Tests.Docs;

/// <summary>
/// The guide cannot rot: every fenced <c>csharp</c> block in docs/*.md must be, once indentation is removed, the body
/// of a <c>#region docs: NAME</c> in <see cref="GuideSamplesTests"/>, which runs it. The files are copied next to the
/// test binaries (see the project file).
/// </summary>
public partial class GuideBlocksTests
{
    private static readonly string Folder = Path.Combine(AppContext.BaseDirectory, "docs");

    [Fact]
    public void Every_csharp_block_of_the_guide_is_a_tested_region()
    {
        var regions = Regions(File.ReadAllText(Path.Combine(Folder, "GuideSamplesTests.cs")));
        var pages = Directory.GetFiles(Folder, "*.md");
        Assert.True(pages.Length >= 5, $"expected the guide's pages in {Folder}, found {pages.Length}");
        int blocks = 0;
        foreach (string page in pages)
        {
            foreach (Match block in Fence().Matches(File.ReadAllText(page).ReplaceLineEndings("\n")))
            {
                blocks++;
                string code = Dedent(block.Groups[1].Value);
                Assert.True(regions.ContainsValue(code),
                    $"{Path.GetFileName(page)}: this csharp block is not a region of GuideSamplesTests.cs:\n{code}");
            }
        }
        Assert.True(blocks >= regions.Count, $"{blocks} csharp blocks in the guide, {regions.Count} regions");
    }

    [Fact]
    public void Every_region_appears_in_the_guide()
    {
        var regions = Regions(File.ReadAllText(Path.Combine(Folder, "GuideSamplesTests.cs")));
        string guide = string.Concat(Directory.GetFiles(Folder, "*.md").Select(File.ReadAllText)).ReplaceLineEndings("\n");
        var inGuide = Fence().Matches(guide).Select(m => Dedent(m.Groups[1].Value)).ToHashSet();
        Assert.All(regions, r => Assert.True(inGuide.Contains(r.Value), $"region '{r.Key}' is in no page of docs/"));
    }

    private static Dictionary<string, string> Regions(string source) =>
        Region().Matches(source.ReplaceLineEndings("\n")).ToDictionary(m => m.Groups[1].Value, m => Dedent(m.Groups[2].Value));

    private static string Dedent(string text)
    {
        var lines = text.TrimEnd().Split('\n');
        int indent = lines.Where(l => l.Trim().Length > 0).Min(l => l.Length - l.TrimStart().Length);
        return string.Join("\n", lines.Select(l => l.Length >= indent ? l[indent..] : l.TrimStart()));
    }

    [GeneratedRegex(@"^```csharp\n(.*?)^```", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex Fence();

    [GeneratedRegex(@"^[ \t]*#region docs: (\S+)\n(.*?)^[ \t]*#endregion", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex Region();
}
