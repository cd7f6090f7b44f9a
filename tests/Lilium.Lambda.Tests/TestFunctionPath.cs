namespace Lilium.Lambda.Tests;

internal static class TestFunctionPath
{
    /// <summary>The test function, built next to the tests (ProjectReference) and run with <c>dotnet exec</c>.</summary>
    public static string Dll => Path.Combine(AppContext.BaseDirectory, "Lilium.Lambda.TestFunction.dll");

    public static string[] Args(string mode) => ["exec", Dll, mode];
}
