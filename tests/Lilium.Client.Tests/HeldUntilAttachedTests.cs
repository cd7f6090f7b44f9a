using Lilium.Client.Media;

namespace Lilium.Client.Tests;

[Trait("Category", "Unit")]
public sealed class HeldUntilAttachedTests
{
    [Fact]
    public void Items_before_the_handler_are_delivered_first_in_order_as_owned_copies()
    {
        var slot = new HeldUntilAttached<int[]>(capacity: 8);
        var buffer = new int[1];
        for (var i = 0; i < 3; i++)
        {
            buffer[0] = i; // the receive loop reuses its buffer
            slot.Deliver(buffer, static early => (int[])early.Clone());
        }

        var seen = new List<int>();
        slot.Attach(item => seen.Add(item[0]));
        buffer[0] = 3;
        slot.Deliver(buffer, static _ => throw new InvalidOperationException("no copy once attached"));

        Assert.Equal([0, 1, 2, 3], seen);
        Assert.Equal(0, slot.Held);
    }

    [Fact]
    public void A_full_hold_counts_what_it_drops_and_keeps_the_oldest()
    {
        var slot = new HeldUntilAttached<int>(capacity: 2);
        for (var i = 0; i < 5; i++)
        {
            slot.Deliver(i, static x => x);
        }

        var seen = new List<int>();
        slot.Attach(seen.Add);

        Assert.Equal([0, 1], seen);
        Assert.Equal(3, slot.Dropped);
    }

    [Fact]
    public void Only_one_handler_can_be_attached()
    {
        var slot = new HeldUntilAttached<int>(capacity: 1);
        slot.Attach(static _ => { });
        Assert.Throws<InvalidOperationException>(() => slot.Attach(static _ => { }));
    }

    [Fact]
    public async Task Attaching_while_packets_arrive_loses_and_reorders_nothing()
    {
        var slot = new HeldUntilAttached<int>(capacity: 100_000);
        var seen = new List<int>();
        var producer = Task.Run(() =>
        {
            for (var i = 0; i < 50_000; i++)
            {
                slot.Deliver(i, static x => x);
            }
        });
        await Task.Delay(1);
        slot.Attach(seen.Add); // the producer is the only other caller, so the list needs no lock
        await producer;

        Assert.Equal(Enumerable.Range(0, 50_000), seen);
    }
}
