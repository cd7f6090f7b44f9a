namespace Lilium.Aws.Signing;

/// <summary>Splits a URI query (<c>?a=1&amp;b</c>) into decoded name/value pairs, keeping repeats and order.</summary>
internal static class QueryString
{
    public static IEnumerable<(string Name, string Value)> Parse(string query)
    {
        var text = query.StartsWith('?') ? query[1..] : query;
        foreach (var part in text.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = part.IndexOf('=');
            var name = eq < 0 ? part : part[..eq];
            var value = eq < 0 ? "" : part[(eq + 1)..];
            yield return (Uri.UnescapeDataString(name), Uri.UnescapeDataString(value));
        }
    }
}
