using Lilium.Relay.Media;

namespace Lilium.Relay.Tests;

/// <summary>A subscriber flooding NACKs gets bounded resends: each packet once per RTT, and at most the bucket's rate.</summary>
[Trait("Category", "Unit")]
public sealed class NackBudgetTests
{
    [Fact]
    public void The_same_packet_nacked_repeatedly_within_the_window_is_resent_once()
    {
        var budget = new NackBudget();
        var resent = 0;
        for (var ms = 0L; ms < NackBudget.RepeatWindowMs; ms++)
        {
            for (var i = 0; i < 10; i++)
            {
                resent += budget.TryResend(1234, 1000 + ms) ? 1 : 0;
            }
        }

        Assert.Equal(1, resent);
        Assert.True(budget.TryResend(1234, 1000 + NackBudget.RepeatWindowMs)); // a later loss of the resend
    }

    [Fact]
    public void A_flood_of_distinct_nacks_is_held_to_the_burst_then_the_rate()
    {
        var budget = new NackBudget();
        var resent = 0;
        ushort seq = 0;
        // 10 s of 256 distinct sequence numbers every 10 ms (25,600 NACKed packets a second).
        for (var ms = 0L; ms < 10_000; ms += 10)
        {
            for (var i = 0; i < 256; i++)
            {
                resent += budget.TryResend(seq++, ms) ? 1 : 0;
            }
        }

        Assert.InRange(resent, NackBudget.Burst + (9 * NackBudget.PacketsPerSecond), NackBudget.Burst + (10 * NackBudget.PacketsPerSecond));
    }

    [Fact]
    public void Ordinary_loss_is_answered_in_full()
    {
        var budget = new NackBudget();
        ushort seq = 0;
        // 2 % loss on a 400 packets/s track: 8 NACKed packets a second, all resent.
        for (var ms = 0L; ms < 5_000; ms += 125)
        {
            Assert.True(budget.TryResend(seq, ms));
            seq += 50;
        }
    }
}
