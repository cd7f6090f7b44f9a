using System.Net;
using Lilium.WebRtc.Dtls;

namespace Lilium.WebRtc.Sdp;

/// <summary>Our side of the transport for an answer: ICE credentials, DTLS fingerprint and the single host candidate.</summary>
public sealed record SdpLocalTransport(string IceUfrag, string IcePwd, DtlsFingerprint Fingerprint, IPEndPoint Candidate);
