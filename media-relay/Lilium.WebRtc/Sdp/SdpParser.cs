using System.Globalization;
using Lilium.WebRtc.Dtls;

namespace Lilium.WebRtc.Sdp;

/// <summary>
/// Parses SDP offers (RFC 8866) and trickle-ICE fragments (RFC 8840 §9). Never throws: a malformed
/// description yields an error naming the line and the problem. Unknown lines and attributes are kept
/// verbatim and otherwise ignored.
/// </summary>
public static class SdpParser
{
    /// <summary>Offers larger than this are refused outright (a browser's offer is a few KB).</summary>
    public const int MaxLength = 64 * 1024;

    private const int MaxMedia = 32;

    public static bool TryParse(string? text, out SdpSession? session, out string? error) =>
        TryParseCore(text, fragment: false, out session, out error);

    /// <summary>
    /// Parses an <c>application/trickle-ice-sdpfrag</c> body: session-level ufrag/pwd, then
    /// <c>m=</c> lines with <c>a=mid</c> and <c>a=candidate</c>; no <c>v=</c>/<c>o=</c> needed.
    /// </summary>
    public static bool TryParseFragment(string? text, out SdpSession? fragment, out string? error) =>
        TryParseCore(text, fragment: true, out fragment, out error);

    private static bool TryParseCore(string? text, bool fragment, out SdpSession? session, out string? error)
    {
        session = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "sdp: empty description";
            return false;
        }

        if (text.Length > MaxLength)
        {
            error = $"sdp: description longer than {MaxLength} characters";
            return false;
        }

        var lines = text.Split('\n');
        var sessionAttributes = new List<SdpAttribute>();
        var media = new List<MediaBuilder>();
        string? origin = null;
        var name = "-";
        var sawVersion = false;

        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].TrimEnd('\r');
            if (line.Length == 0)
            {
                continue;
            }

            var where = $"sdp: line {i + 1}";
            if (line.Length < 2 || line[1] != '=' || !char.IsAsciiLetterLower(line[0]))
            {
                error = $"{where}: expected '<letter>=<value>'";
                return false;
            }

            var value = line[2..];
            switch (line[0])
            {
                case 'v':
                    if (value != "0")
                    {
                        error = $"{where}: unsupported version '{value}'";
                        return false;
                    }

                    sawVersion = true;
                    break;
                case 'o':
                    origin = value;
                    break;
                case 's':
                    name = value;
                    break;
                case 'm':
                    if (media.Count >= MaxMedia)
                    {
                        error = $"{where}: more than {MaxMedia} m-sections";
                        return false;
                    }

                    if (!MediaBuilder.TryCreate(value, out var builder, out var mediaError))
                    {
                        error = $"{where}: {mediaError}";
                        return false;
                    }

                    media.Add(builder!);
                    break;
                case 'a':
                    var attribute = ParseAttribute(value);
                    if (media.Count == 0)
                    {
                        sessionAttributes.Add(attribute);
                    }
                    else
                    {
                        media[^1].Attributes.Add(attribute);
                    }

                    break;
                default:
                    break; // c=, t=, b=, etc.: not needed by an ICE-lite bundle-only endpoint
            }
        }

        if (!fragment && (!sawVersion || origin is null))
        {
            error = "sdp: missing v= or o= line";
            return false;
        }

        if (!fragment && media.Count == 0)
        {
            error = "sdp: no m-sections";
            return false;
        }

        if (!TryReadTransport(sessionAttributes, out var transport, out error))
        {
            error = "sdp: session level: " + error;
            return false;
        }

        var built = new List<SdpMedia>(media.Count);
        for (var m = 0; m < media.Count; m++)
        {
            if (!media[m].TryBuild(transport, out var section, out var mediaError))
            {
                error = $"sdp: m-section {m} ({media[m].Kind}): {mediaError}";
                return false;
            }

            built.Add(section!);
        }

        var bundle = sessionAttributes
            .Where(a => a.Name == "group" && a.Value is not null && a.Value.StartsWith("BUNDLE", StringComparison.Ordinal))
            .Select(a => a.Value!.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).ToList())
            .FirstOrDefault() ?? [];

        session = new SdpSession
        {
            Origin = origin ?? "- 0 0 IN IP4 0.0.0.0",
            SessionName = name,
            Attributes = sessionAttributes,
            Media = built,
            IceLite = sessionAttributes.Any(a => a.Name == "ice-lite"),
            BundleMids = bundle,
            IceUfrag = transport.Ufrag,
            IcePwd = transport.Pwd,
            Fingerprint = transport.Fingerprint,
            Setup = transport.Setup,
        };
        error = null;
        return true;
    }

    private static SdpAttribute ParseAttribute(string value)
    {
        var colon = value.IndexOf(':', StringComparison.Ordinal);
        return colon < 0 ? new SdpAttribute(value.Trim(), null) : new SdpAttribute(value[..colon].Trim(), value[(colon + 1)..]);
    }

    private readonly record struct Transport(string? Ufrag, string? Pwd, DtlsFingerprint? Fingerprint, SdpSetup? Setup);

    private static bool TryReadTransport(List<SdpAttribute> attributes, out Transport transport, out string? error, Transport inherited = default)
    {
        transport = inherited;
        foreach (var a in attributes)
        {
            switch (a.Name)
            {
                case "ice-ufrag":
                    transport = transport with { Ufrag = a.Value?.Trim() };
                    break;
                case "ice-pwd":
                    transport = transport with { Pwd = a.Value?.Trim() };
                    break;
                case "fingerprint":
                    if (!DtlsFingerprint.TryParse(a.Value, out var fp))
                    {
                        // Unknown hash functions are legal (RFC 8122 §5); only sha-* we know are checked.
                        if (a.Value is not null && a.Value.TrimStart().StartsWith("sha-", StringComparison.OrdinalIgnoreCase))
                        {
                            error = $"malformed fingerprint '{a.Value}'";
                            return false;
                        }

                        break;
                    }

                    // Prefer sha-256 when several are given.
                    if (transport.Fingerprint is null || fp!.Algorithm == "sha-256")
                    {
                        transport = transport with { Fingerprint = fp };
                    }

                    break;
                case "setup":
                    SdpSetup? setup = a.Value?.Trim() switch
                    {
                        "actpass" => SdpSetup.ActPass,
                        "active" => SdpSetup.Active,
                        "passive" => SdpSetup.Passive,
                        "holdconn" => SdpSetup.HoldConn,
                        _ => null,
                    };
                    if (setup is null)
                    {
                        error = $"unknown setup '{a.Value}'";
                        return false;
                    }

                    transport = transport with { Setup = setup };
                    break;
            }
        }

        error = null;
        return true;
    }

    private sealed class MediaBuilder
    {
        private MediaBuilder(string kind, int port, string protocol, List<string> formats)
        {
            Kind = kind;
            Port = port;
            Protocol = protocol;
            Formats = formats;
        }

        public string Kind { get; }

        public int Port { get; }

        public string Protocol { get; }

        public List<string> Formats { get; }

        public List<SdpAttribute> Attributes { get; } = [];

        public static bool TryCreate(string value, out MediaBuilder? builder, out string? error)
        {
            builder = null;
            var f = value.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length < 3)
            {
                error = "m= needs 'media port proto fmt…'";
                return false;
            }

            var portText = f[1];
            var slash = portText.IndexOf('/', StringComparison.Ordinal);
            if (slash >= 0)
            {
                portText = portText[..slash];
            }

            if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port > 65535)
            {
                error = $"bad port '{f[1]}'";
                return false;
            }

            builder = new MediaBuilder(f[0], port, f[2], f.Skip(3).ToList());
            error = null;
            return true;
        }

        public bool TryBuild(Transport session, out SdpMedia? media, out string? error)
        {
            media = null;
            if (!TryReadTransport(Attributes, out var transport, out error, session))
            {
                return false;
            }

            var rtpmaps = new Dictionary<int, SdpRtpMap>();
            var fmtps = new Dictionary<int, string>();
            var feedback = new Dictionary<string, List<string>>(StringComparer.Ordinal);
            var extmaps = new List<SdpExtMap>();
            var ssrcs = new List<SdpSsrc>();
            var groups = new List<SdpSsrcGroup>();
            var candidates = new List<SdpCandidate>();
            var rids = new List<SdpRid>();
            SdpSimulcast? simulcast = null;
            var direction = SdpDirection.SendRecv;
            string? mid = null;
            string? msid = null;

            foreach (var a in Attributes)
            {
                var v = a.Value;
                switch (a.Name)
                {
                    case "mid":
                        mid = v?.Trim();
                        if (string.IsNullOrEmpty(mid) || mid.Length > 64)
                        {
                            error = "empty or oversized a=mid";
                            return false;
                        }

                        break;
                    case "sendrecv":
                        direction = SdpDirection.SendRecv;
                        break;
                    case "sendonly":
                        direction = SdpDirection.SendOnly;
                        break;
                    case "recvonly":
                        direction = SdpDirection.RecvOnly;
                        break;
                    case "inactive":
                        direction = SdpDirection.Inactive;
                        break;
                    case "rtpmap":
                        if (!TryParseRtpMap(v, out var map))
                        {
                            error = $"malformed a=rtpmap:{v}";
                            return false;
                        }

                        rtpmaps[map!.PayloadType] = map;
                        break;
                    case "fmtp":
                        if (TrySplitPayloadType(v, out var fmtpPt, out var fmtpRest))
                        {
                            fmtps[fmtpPt] = fmtpRest;
                        }

                        break;
                    case "rtcp-fb":
                        if (v is not null)
                        {
                            var space = v.IndexOf(' ', StringComparison.Ordinal);
                            if (space > 0)
                            {
                                var key = v[..space];
                                if (!feedback.TryGetValue(key, out var list))
                                {
                                    feedback[key] = list = [];
                                }

                                list.Add(v[(space + 1)..].Trim());
                            }
                        }

                        break;
                    case "extmap":
                        if (!TryParseExtMap(v, out var ext))
                        {
                            error = $"malformed a=extmap:{v}";
                            return false;
                        }

                        extmaps.Add(ext!);
                        break;
                    case "ssrc":
                        if (!TryParseSsrc(v, out var ssrc))
                        {
                            error = $"malformed a=ssrc:{v}";
                            return false;
                        }

                        ssrcs.Add(ssrc!);
                        break;
                    case "ssrc-group":
                        if (!TryParseSsrcGroup(v, out var group))
                        {
                            error = $"malformed a=ssrc-group:{v}";
                            return false;
                        }

                        groups.Add(group!);
                        break;
                    case "msid":
                        msid = v?.Trim();
                        break;
                    case "rid":
                        if (!SdpRid.TryParse(v, out var rid))
                        {
                            error = $"malformed a=rid:{v} (RFC 8851: 'id send|recv [pt=…;restrictions]', id of 1–{SdpRid.MaxIdLength} letters, digits, '-' or '_')";
                            return false;
                        }

                        if (rids.Any(r => r.Id == rid!.Id))
                        {
                            error = $"a=rid:{rid!.Id} appears twice";
                            return false;
                        }

                        rids.Add(rid!);
                        break;
                    case "simulcast":
                        if (simulcast is not null || !SdpSimulcast.TryParse(v, out simulcast))
                        {
                            error = $"malformed or repeated a=simulcast:{v} (RFC 8853: 'send q;h;f' and/or 'recv …')";
                            return false;
                        }

                        break;
                    case "candidate":
                        if (SdpCandidate.TryParse(v, out var candidate))
                        {
                            candidates.Add(candidate!); // unparseable candidates are skipped, as browsers do
                        }

                        break;
                }
            }

            if (simulcast is not null)
            {
                // RFC 8853 §5.2: every RID named by a=simulcast has an a=rid line of the same direction.
                foreach (var (streams, send) in simulcast.Send.Select(s => (s, true)).Concat(simulcast.Receive.Select(s => (s, false))))
                {
                    foreach (var stream in streams)
                    {
                        if (!rids.Any(r => r.Id == stream.Rid && r.Send == send))
                        {
                            error = $"a=simulcast names rid '{stream.Rid}' ({(send ? "send" : "recv")}) without a matching a=rid line";
                            return false;
                        }
                    }
                }
            }

            var ordered = new List<SdpRtpMap>();
            foreach (var format in Formats)
            {
                if (int.TryParse(format, NumberStyles.None, CultureInfo.InvariantCulture, out var pt) && rtpmaps.TryGetValue(pt, out var map))
                {
                    var fb = new List<string>();
                    if (feedback.TryGetValue("*", out var any))
                    {
                        fb.AddRange(any);
                    }

                    if (feedback.TryGetValue(format, out var own))
                    {
                        fb.AddRange(own);
                    }

                    ordered.Add(map with { Fmtp = fmtps.GetValueOrDefault(pt), Feedback = fb });
                }
            }

            media = new SdpMedia
            {
                Kind = Kind,
                Port = Port,
                Protocol = Protocol,
                Formats = Formats,
                Attributes = Attributes,
                Mid = mid,
                Direction = direction,
                RtpMaps = ordered,
                ExtMaps = extmaps,
                Ssrcs = ssrcs,
                SsrcGroups = groups,
                Msid = msid,
                Rids = rids,
                Simulcast = simulcast,
                IceUfrag = transport.Ufrag,
                IcePwd = transport.Pwd,
                Fingerprint = transport.Fingerprint,
                Setup = transport.Setup,
                RtcpMux = Attributes.Any(a => a.Name == "rtcp-mux"),
                RtcpRsize = Attributes.Any(a => a.Name == "rtcp-rsize"),
                Candidates = candidates,
                EndOfCandidates = Attributes.Any(a => a.Name == "end-of-candidates"),
            };
            error = null;
            return true;
        }

        private static bool TrySplitPayloadType(string? value, out int pt, out string rest)
        {
            pt = -1;
            rest = string.Empty;
            if (value is null)
            {
                return false;
            }

            var space = value.IndexOf(' ', StringComparison.Ordinal);
            var head = space < 0 ? value : value[..space];
            if (!int.TryParse(head, NumberStyles.None, CultureInfo.InvariantCulture, out pt) || pt > 127)
            {
                return false;
            }

            rest = space < 0 ? string.Empty : value[(space + 1)..].Trim();
            return true;
        }

        // a=rtpmap:<payload type> <encoding name>/<clock rate>[/<encoding parameters>]
        private static bool TryParseRtpMap(string? value, out SdpRtpMap? map)
        {
            map = null;
            if (!TrySplitPayloadType(value, out var pt, out var rest) || rest.Length == 0)
            {
                return false;
            }

            var parts = rest.Split('/');
            if (parts.Length is < 2 or > 3 || parts[0].Length == 0
                || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var clock) || clock == 0)
            {
                return false;
            }

            var channels = 1;
            if (parts.Length == 3 && (!int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out channels) || channels is < 1 or > 255))
            {
                return false;
            }

            map = new SdpRtpMap(pt, parts[0], clock, channels);
            return true;
        }

        // a=extmap:<value>["/"<direction>] <URI> <extensionattributes>
        private static bool TryParseExtMap(string? value, out SdpExtMap? ext)
        {
            ext = null;
            var f = value?.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f is null || f.Length < 2)
            {
                return false;
            }

            var idText = f[0];
            string? dir = null;
            var slash = idText.IndexOf('/', StringComparison.Ordinal);
            if (slash >= 0)
            {
                dir = idText[(slash + 1)..];
                idText = idText[..slash];
            }

            if (!int.TryParse(idText, NumberStyles.None, CultureInfo.InvariantCulture, out var id) || id is < 1 or > 255)
            {
                return false;
            }

            ext = new SdpExtMap(id, f[1], dir);
            return true;
        }

        // a=ssrc:<ssrc-id> <attribute>[:<value>]
        private static bool TryParseSsrc(string? value, out SdpSsrc? ssrc)
        {
            ssrc = null;
            if (value is null)
            {
                return false;
            }

            var space = value.IndexOf(' ', StringComparison.Ordinal);
            var head = space < 0 ? value : value[..space];
            if (!uint.TryParse(head, NumberStyles.None, CultureInfo.InvariantCulture, out var id))
            {
                return false;
            }

            var rest = space < 0 ? string.Empty : value[(space + 1)..];
            var colon = rest.IndexOf(':', StringComparison.Ordinal);
            ssrc = colon < 0 ? new SdpSsrc(id, rest.Trim(), null) : new SdpSsrc(id, rest[..colon].Trim(), rest[(colon + 1)..].Trim());
            return true;
        }

        // a=ssrc-group:<semantics> <ssrc-id> ...
        private static bool TryParseSsrcGroup(string? value, out SdpSsrcGroup? group)
        {
            group = null;
            var f = value?.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f is null || f.Length < 2)
            {
                return false;
            }

            var ids = new List<uint>(f.Length - 1);
            foreach (var s in f.Skip(1))
            {
                if (!uint.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var id))
                {
                    return false;
                }

                ids.Add(id);
            }

            group = new SdpSsrcGroup(f[0], ids);
            return true;
        }
    }
}
