using System.Globalization;

namespace Lilium.WebRtc.Sdp;

/// <summary>
/// <c>a=rid:&lt;id&gt; send|recv [pt=&lt;fmt&gt;,…;][restriction=value;…]</c> (RFC 8851 §10): one RTP stream of a
/// simulcast (or a constrained single stream), named by the RID that its packets carry in the
/// <c>sdes:rtp-stream-id</c> header extension.
/// </summary>
/// <param name="Id">The RID: 1–255 (we accept up to 16, as RTP header extensions carry) alphanumerics, '-' or '_'.</param>
/// <param name="Send">True for <c>send</c> (the offerer sends this stream), false for <c>recv</c>.</param>
/// <param name="PayloadTypes">The <c>pt=</c> list, or empty for any of the m-section's formats.</param>
/// <param name="Restrictions">The other restrictions (<c>max-width</c>, <c>max-fps</c>, …) as key → value, keys lower-cased.</param>
public sealed record SdpRid(string Id, bool Send, IReadOnlyList<int> PayloadTypes, IReadOnlyDictionary<string, string> Restrictions)
{
    /// <summary>The longest RID we accept (the one-byte header extension form carries at most 16 bytes).</summary>
    public const int MaxIdLength = 16;

    public static bool IsValidId(string id) =>
        id.Length is > 0 and <= MaxIdLength && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    internal static bool TryParse(string? value, out SdpRid? rid)
    {
        rid = null;
        var f = value?.Split(' ', 3, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (f is null || f.Length < 2 || !IsValidId(f[0]) || f[1] is not ("send" or "recv"))
        {
            return false;
        }

        var pts = new List<int>();
        var restrictions = new Dictionary<string, string>(StringComparer.Ordinal);
        if (f.Length == 3)
        {
            foreach (var part in f[2].Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var eq = part.IndexOf('=', StringComparison.Ordinal);
                var key = (eq < 0 ? part : part[..eq]).ToLowerInvariant();
                var v = eq < 0 ? string.Empty : part[(eq + 1)..];
                if (key == "pt")
                {
                    foreach (var pt in v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                    {
                        if (!int.TryParse(pt, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n > 127)
                        {
                            return false;
                        }

                        pts.Add(n);
                    }
                }
                else
                {
                    restrictions.TryAdd(key, v);
                }
            }
        }

        rid = new SdpRid(f[0], f[1] == "send", pts, restrictions);
        return true;
    }
}

/// <summary>One stream named in <c>a=simulcast</c>: its RID, and whether it starts paused (<c>~rid</c>).</summary>
public readonly record struct SdpSimulcastStream(string Rid, bool Paused);

/// <summary>
/// <c>a=simulcast:[send &lt;list&gt;] [recv &lt;list&gt;]</c> (RFC 8853 §5.1): the simulcast streams in each
/// direction, in order of preference; each entry lists alternatives (<c>,</c>) of which one is sent, entries are
/// separated by <c>;</c>. Browsers send one alternative per entry: <c>send q;h;f</c>.
/// </summary>
public sealed record SdpSimulcast(IReadOnlyList<IReadOnlyList<SdpSimulcastStream>> Send, IReadOnlyList<IReadOnlyList<SdpSimulcastStream>> Receive)
{
    /// <summary>The first alternative of each send entry: the RIDs the offerer will send, in its order.</summary>
    public IReadOnlyList<string> SendRids => Send.Select(e => e[0].Rid).ToList();

    internal static bool TryParse(string? value, out SdpSimulcast? simulcast)
    {
        simulcast = null;
        var f = value?.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (f is null || f.Length is not (2 or 4))
        {
            return false;
        }

        List<IReadOnlyList<SdpSimulcastStream>>? send = null, receive = null;
        for (var i = 0; i < f.Length; i += 2)
        {
            if (!TryParseList(f[i + 1], out var list))
            {
                return false;
            }

            switch (f[i])
            {
                case "send" when send is null:
                    send = list;
                    break;
                case "recv" when receive is null:
                    receive = list;
                    break;
                default:
                    return false;
            }
        }

        simulcast = new SdpSimulcast(send ?? [], receive ?? []);
        return true;
    }

    private static bool TryParseList(string text, out List<IReadOnlyList<SdpSimulcastStream>> list)
    {
        list = [];
        foreach (var entry in text.Split(';'))
        {
            var alternatives = new List<SdpSimulcastStream>();
            foreach (var alternative in entry.Split(','))
            {
                var paused = alternative.StartsWith('~');
                var id = paused ? alternative[1..] : alternative;
                if (!SdpRid.IsValidId(id))
                {
                    return false;
                }

                alternatives.Add(new SdpSimulcastStream(id, paused));
            }

            list.Add(alternatives);
        }

        return list.Count > 0;
    }
}
