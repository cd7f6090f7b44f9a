using System.Globalization;

namespace Lilium.WebRtc.Sdp;

/// <summary>
/// <c>a=candidate:foundation component transport priority address port typ type [extensions]</c>
/// (RFC 8839 §5.1). Only the fields a lite agent needs are parsed.
/// </summary>
public sealed record SdpCandidate(string Foundation, int Component, string Transport, uint Priority, string Address, int Port, string Type)
{
    /// <summary>Parses the value after <c>candidate:</c> (or including it). Never throws.</summary>
    public static bool TryParse(string? value, out SdpCandidate? candidate)
    {
        candidate = null;
        if (value is null)
        {
            return false;
        }

        if (value.StartsWith("candidate:", StringComparison.OrdinalIgnoreCase))
        {
            value = value["candidate:".Length..];
        }

        var f = value.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (f.Length < 8 || !string.Equals(f[6], "typ", StringComparison.OrdinalIgnoreCase)
            || !int.TryParse(f[1], NumberStyles.None, CultureInfo.InvariantCulture, out var component)
            || !uint.TryParse(f[3], NumberStyles.None, CultureInfo.InvariantCulture, out var priority)
            || !int.TryParse(f[5], NumberStyles.None, CultureInfo.InvariantCulture, out var port)
            || port is < 0 or > 65535 || component is < 1 or > 256)
        {
            return false;
        }

        candidate = new SdpCandidate(f[0], component, f[2].ToLowerInvariant(), priority, f[4], port, f[7].ToLowerInvariant());
        return true;
    }

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"candidate:{Foundation} {Component} {Transport} {Priority} {Address} {Port} typ {Type}");
}
