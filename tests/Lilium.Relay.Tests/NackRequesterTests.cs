using Lilium.Relay.Media;

namespace Lilium.Relay.Tests;

/// <summary>The relay's NACKs toward a publisher (<see cref="NackRequester"/>): what is asked for, when, and for how long.</summary>
[Trait("Category", "Unit")]
public sealed class NackRequesterTests
{
    [Fact]
    public void A_gap_is_asked_for_at_once_then_every_retry_interval_until_it_arrives()
    {
        var nacks = new NackRequester();
        Assert.Equal(0, nacks.OnPacket(100, 0));
        Assert.Equal(0, nacks.OnPacket(101, 1));
        Assert.Equal(2, nacks.OnPacket(104, 2)); // 102 and 103 lost
        Assert.Equal(new ushort[] { 102, 103 }, nacks.Due(2));
        Assert.Empty(nacks.Due(2 + NackRequester.RetryMs - 1)); // not again inside a round trip
        Assert.Equal(new ushort[] { 102, 103 }, nacks.Due(2 + NackRequester.RetryMs));

        Assert.Equal(0, nacks.OnPacket(102, 60)); // repaired
        Assert.Equal(new ushort[] { 103 }, nacks.Due(2 + (2 * NackRequester.RetryMs)));
        Assert.Equal(0, nacks.OnPacket(103, 120)); // late
        Assert.Equal(0, nacks.Count);
        Assert.Empty(nacks.Due(1_000));
    }

    [Fact]
    public void A_missing_packet_is_given_up_after_the_tries_or_the_age_limit()
    {
        var byTries = new NackRequester();
        byTries.OnPacket(1, 0);
        byTries.OnPacket(3, 0);
        var asked = 0;
        for (var ms = 0L; ms <= NackRequester.MaxAgeMs; ms += NackRequester.RetryMs)
        {
            asked += byTries.Due(ms).Count;
        }

        Assert.Equal(NackRequester.MaxTries, asked);
        Assert.Equal(0, byTries.Count);

        var byAge = new NackRequester();
        byAge.OnPacket(1, 0);
        byAge.OnPacket(3, 0);
        Assert.Single(byAge.Due(0));
        Assert.Empty(byAge.Due(NackRequester.MaxAgeMs + 1));
        Assert.Equal(0, byAge.Count);
    }

    [Fact]
    public void Numbers_wrap_and_a_reordered_packet_is_not_a_gap()
    {
        var nacks = new NackRequester();
        nacks.OnPacket(65_534, 0);
        Assert.Equal(1, nacks.OnPacket(0, 0)); // 65535 lost across the wrap
        Assert.Equal(new ushort[] { 65_535 }, nacks.Due(0));
        Assert.Equal(1, nacks.OnPacket(2, 0)); // 1 lost
        Assert.Equal(0, nacks.OnPacket(1, 1)); // reordered: in after all
        Assert.Equal(0, nacks.OnPacket(65_535, 1));
        Assert.Equal(0, nacks.Count);
        Assert.Equal(0, nacks.OnPacket(0, 2)); // a duplicate of an old one changes nothing
        Assert.Equal(0, nacks.Count);
    }

    [Fact]
    public void A_gap_beyond_the_list_is_left_to_a_keyframe_and_requests_are_bounded()
    {
        var nacks = new NackRequester();
        nacks.OnPacket(0, 0);
        Assert.Equal(NackRequester.MaxMissing + 1, nacks.OnPacket(NackRequester.MaxMissing + 2, 0));
        Assert.Equal(0, nacks.Count);

        Assert.Equal(NackRequester.MaxMissing, nacks.OnPacket(NackRequester.MaxMissing + 2 + NackRequester.MaxMissing + 1, 0));
        Assert.Equal(NackRequester.MaxMissing, nacks.Count);
        var first = nacks.Due(0).ToArray();
        Assert.Equal(NackRequester.MaxPerRequest, first.Length);
        Assert.Equal((ushort)(NackRequester.MaxMissing + 3), first[0]); // oldest first
        var second = nacks.Due(0);
        Assert.Equal(NackRequester.MaxPerRequest, second.Count);
        Assert.Equal((ushort)(first[^1] + 1), second[0]); // the next ones, not the same again
    }
}
