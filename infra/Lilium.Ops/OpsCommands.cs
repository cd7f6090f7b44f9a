using System.Diagnostics;
using Lilium.Aws;
using Lilium.Aws.Ec2;
using Lilium.Aws.Ecs;
using Spectre.Console;

namespace Lilium.Ops;

/// <summary>pause / resume / status against a deployed stack (the relay's ECS service, and with --minimal the NAT instance).</summary>
public sealed class OpsCommands(AwsContext aws, IAnsiConsole console, TimeSpan timeout)
{
    private readonly EcsClient _ecs = new(aws);
    private readonly Ec2Client _ec2 = new(aws);

    public async Task PauseAsync(string stackName, bool minimal, CancellationToken cancellationToken)
    {
        var stack = await StackHandle.ResolveAsync(aws, stackName, cancellationToken);
        await ScaleAsync(stack, 0, cancellationToken);
        if (minimal && stack.NatInstanceId is { } nat)
        {
            await _ec2.StopInstanceAsync(nat, cancellationToken);
            console.MarkupLine($"[green]✓[/] NAT instance [bold]{nat}[/] stopping (Lambdas lose outbound access until 'resume --minimal')");
        }

        await StatusAsync(stackName, cancellationToken);
    }

    public async Task ResumeAsync(string stackName, int count, bool minimal, CancellationToken cancellationToken)
    {
        var stack = await StackHandle.ResolveAsync(aws, stackName, cancellationToken);
        if (minimal && stack.NatInstanceId is { } nat)
        {
            await _ec2.StartInstanceAsync(nat, cancellationToken);
            console.MarkupLine($"[green]✓[/] NAT instance [bold]{nat}[/] starting");
        }

        await ScaleAsync(stack, count, cancellationToken);
        await StatusAsync(stackName, cancellationToken);
    }

    public async Task StatusAsync(string stackName, CancellationToken cancellationToken)
    {
        var stack = await StackHandle.ResolveAsync(aws, stackName, cancellationToken);
        var service = await DescribeAsync(stack, cancellationToken);
        var natState = stack.NatInstanceId is { } nat ? await _ec2.GetInstanceStateAsync(nat, cancellationToken) : null;

        var table = new Table().Title($"LiliumShare stack [bold]{Markup.Escape(stack.StackName)}[/]").AddColumns("part", "state");
        table.AddRow("relay service", Markup.Escape($"{service.ServiceName}: desired {service.DesiredCount}, running {service.RunningCount}, pending {service.PendingCount}"));
        table.AddRow("database", "Aurora Serverless v2: pauses itself at 0 ACU after 5 idle minutes");
        table.AddRow("NAT instance", Markup.Escape(natState is null ? "none" : $"{stack.NatInstanceId}: {natState}"));
        var hourly = CostModel.HourlyCost(service.RunningCount, natState is "running" or "pending", activeAcu: 0);
        table.AddRow("estimated cost now", Markup.Escape($"${hourly:0.0000}/hour (~${hourly * 730:0.00}/month at this rate; {CostModel.PriceDate}; idle database, no traffic)"));
        console.Write(table);
        console.WriteLine($"desired={service.DesiredCount} running={service.RunningCount}");
    }

    private async Task ScaleAsync(StackHandle stack, int desired, CancellationToken cancellationToken)
    {
        await _ecs.UpdateServiceAsync(new UpdateServiceRequest(stack.Cluster, stack.Service) { DesiredCount = desired }, cancellationToken);
        console.MarkupLine($"[green]✓[/] relay service desired count set to [bold]{desired}[/]");
        if (timeout <= TimeSpan.Zero)
        {
            return;
        }

        var clock = Stopwatch.StartNew();
        EcsService? service = null;
        await console.Status().StartAsync("waiting for the relay tasks…", async ctx =>
        {
            while (clock.Elapsed < timeout)
            {
                service = await DescribeAsync(stack, cancellationToken);
                ctx.Status($"waiting for the relay tasks: running {service.RunningCount}, pending {service.PendingCount}, want {desired} ({clock.Elapsed.TotalSeconds:0}s)");
                if (service.RunningCount == desired && service.PendingCount == 0)
                {
                    return;
                }

                await Task.Delay(TimeSpan.FromSeconds(3), cancellationToken);
            }
        });

        if (service is not null && service.RunningCount != desired)
        {
            console.MarkupLine($"[yellow]![/] after {timeout.TotalSeconds:0}s, {service.RunningCount} task(s) run (want {desired}); ECS keeps converging. Check again with 'make status'.");
        }
    }

    private async Task<EcsService> DescribeAsync(StackHandle stack, CancellationToken cancellationToken)
    {
        var result = await _ecs.DescribeServicesAsync(stack.Cluster, [stack.Service], cancellationToken);
        return result.Services.FirstOrDefault()
            ?? throw new OpsException($"ECS service '{stack.Service}' not found in cluster '{stack.Cluster}': {string.Join("; ", result.Failures.Select(f => f.Reason))}");
    }
}
