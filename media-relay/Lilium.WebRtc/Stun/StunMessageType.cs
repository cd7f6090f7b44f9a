namespace Lilium.WebRtc.Stun;

/// <summary>STUN message types ICE uses (RFC 5389 §6: method and class packed into 14 bits).</summary>
public enum StunMessageType : ushort
{
    BindingRequest = 0x0001,
    BindingIndication = 0x0011,
    BindingSuccess = 0x0101,
    BindingError = 0x0111,
}
