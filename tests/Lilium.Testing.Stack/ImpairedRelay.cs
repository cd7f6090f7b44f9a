using Lilium.Relay;
using Lilium.Relay.Media;
using Lilium.Relay.Observability;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Lilium.Testing.Stack;

/// <summary>
/// TEST ONLY: a relay in this process whose media socket's sender is wrapped in <see cref="ImpairedPacketSender"/>, so
/// viewers whose WHEP request carries <c>X-Lilium-Test-Loss</c> get its loss (browser tests; the relay tests compose it in
/// their own fixture). What it dropped shows in the relay's <c>lilium_relay_test_dropped_total</c>.
/// </summary>
public static class ImpairedRelay
{
    /// <param name="args">The relay's command line, as for <see cref="RelayApp.CreateAsync(string[], Action{RelayOptions}?, CancellationToken)"/>.</param>
    /// <param name="configure">Options set after the configuration's.</param>
    /// <param name="impairment">What happens to impairable viewers' RTP.</param>
    public static Task<WebApplication> CreateAsync(string[] args, Action<RelayOptions>? configure, SendImpairment impairment) =>
        RelayApp.CreateAsync(args, configure, services => services.AddSingleton<IPacketSender>(sp => new ImpairedPacketSender(
            sp.GetRequiredService<MediaSocket>().Sender, impairment, sp.GetRequiredService<RelayMetrics>(), TimeProvider.System)));
}
