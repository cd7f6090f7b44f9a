namespace Lilium.Fuzz.Tests;

internal static class RepoPaths
{
    /// <summary>The repository root: the first parent of the test's output folder holding Infra.sln.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>The build configuration this test was built in (bin/&lt;config&gt;/net10.0).</summary>
    public static string Configuration => new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;

    public static string Corpus(string target) => Path.Combine(Root, "fuzz", "corpus", target);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Infra.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Infra.sln not found above " + AppContext.BaseDirectory);
    }
}
