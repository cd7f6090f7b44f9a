using System.Globalization;

namespace Lilium.Bench;

/// <summary>
/// The benchmarks' command line: <c>--name value</c> pairs; when a name is given twice the last one wins (run.sh
/// passes defaults first, so a caller's own arguments override them). A malformed value stops the program with a
/// sentence naming the option and exit code 2, never a stack trace.
/// </summary>
public sealed class BenchArgs(string[] args)
{
    /// <summary>Whether <paramref name="name"/> is present at all.</summary>
    public bool Has(string name) => Array.LastIndexOf(args, name) >= 0;

    /// <summary>The value after the last <paramref name="name"/>, else <paramref name="fallback"/>.</summary>
    public string Text(string name, string fallback)
    {
        var i = Array.LastIndexOf(args, name);
        if (i < 0)
        {
            return fallback;
        }

        return i + 1 < args.Length ? args[i + 1] : Fail(name, "needs a value");
    }

    /// <summary>The integer after the last <paramref name="name"/>, else <paramref name="fallback"/>.</summary>
    public int Number(string name, int fallback)
    {
        var text = Text(name, "");
        if (text.Length == 0)
        {
            return fallback;
        }

        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : Fail<int>(name, $"expects an integer, got '{text}'");
    }

    /// <summary>A comma-separated list of integers after the last <paramref name="name"/> ("1,2,5,10"), else <paramref name="fallback"/>.</summary>
    public int[] Numbers(string name, int[] fallback)
    {
        var text = Text(name, "");
        if (text.Length == 0)
        {
            return fallback;
        }

        var parts = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var values = new int[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            if (!int.TryParse(parts[i], NumberStyles.Integer, CultureInfo.InvariantCulture, out values[i]))
            {
                return Fail<int[]>(name, $"expects comma-separated integers, got '{text}'");
            }
        }

        return values;
    }

    private static string Fail(string name, string problem) => Fail<string>(name, problem);

    private static T Fail<T>(string name, string problem)
    {
        Console.Error.WriteLine($"bench: {name} {problem}");
        Environment.Exit(2);
        return default!;
    }
}
