namespace Lilium.Testing;

/// <summary>Locates the repository root (the folder holding Infra.sln) from the test's base directory.</summary>
public static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    public static string Scripts => Path.Combine(Root, "scripts");

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
