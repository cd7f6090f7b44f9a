using System.Diagnostics;
using System.Text.Json;
using Lilium.Aws;
using Lilium.Aws.CloudFormation;
using Lilium.Aws.Ec2;
using Lilium.Aws.Ecs;
using Spectre.Console;

namespace Lilium.Ops;

/// <summary>
/// deploy / pause / resume / status of a deployed stack. The modes are templates (docs/costs.md): <c>active</c> has the
/// relay's load balancer and the NAT instance, <c>paused</c> neither the load balancer nor relay tasks, <c>minimal</c>
/// nothing billed by the hour. Changing mode is a deploy; the relay's task count is set here, never by a deploy.
/// </summary>
public sealed class OpsCommands(AwsContext aws, IAnsiConsole console, TimeSpan timeout, IStackDeployer deployer)
{
    /// <summary>What a resume usually takes on AWS, said before it starts.</summary>
    public const string ResumeExpectation =
        "about 4–6 minutes: the load balancer ~3 min, the NAT instance ~1 min (from minimal), a relay task ~1 min once its image is pulled";

    private readonly EcsClient _ecs = new(aws);
    private readonly Ec2Client _ec2 = new(aws);

    /// <summary>Deploys the current code in the stack's current mode (a new stack starts paused: nothing to serve yet).</summary>
    public async Task DeployAsync(string stackName, CancellationToken cancellationToken)
    {
        var stack = await StackHandle.TryResolveAsync(aws, stackName, cancellationToken);
        var mode = stack?.Mode ?? "paused";
        console.MarkupLine($"deploying [bold]{Markup.Escape(stackName)}[/] in mode [bold]{mode}[/]{(stack is null ? " (a new stack starts paused; 'make resume' starts the relay)" : "")}");
        await deployer.DeployAsync(stackName, mode, cancellationToken);
    }

    public async Task PauseAsync(string stackName, bool minimal, CancellationToken cancellationToken)
    {
        var stack = await StackHandle.ResolveAsync(aws, stackName, cancellationToken);
        await ScaleAsync(stack, 0, cancellationToken);
        var mode = minimal ? "minimal" : "paused";
        if (stack.Mode != mode)
        {
            var clock = Stopwatch.StartNew();
            await deployer.DeployAsync(stackName, mode, cancellationToken);
            console.MarkupLine(minimal
                ? $"[green]✓[/] minimal mode in {clock.Elapsed.TotalSeconds:0}s: no load balancer, no NAT instance; the API and signaling answer 503 'deployment-paused' until 'make resume'"
                : $"[green]✓[/] paused in {clock.Elapsed.TotalSeconds:0}s: no load balancer; the API, signaling and chat keep working");
        }

        await StatusAsync(stackName, cancellationToken);
    }

    public async Task ResumeAsync(string stackName, int count, CancellationToken cancellationToken)
    {
        var stack = await StackHandle.ResolveAsync(aws, stackName, cancellationToken);
        var total = Stopwatch.StartNew();
        if (stack.Mode != "active")
        {
            console.MarkupLine($"resuming from [bold]{stack.Mode}[/]: {ResumeExpectation}");
            await deployer.DeployAsync(stackName, "active", cancellationToken);
            console.MarkupLine($"[green]✓[/] load balancer{(stack.Mode == "minimal" ? " and NAT instance" : "")} back after {total.Elapsed.TotalSeconds:0}s");
            stack = await StackHandle.ResolveAsync(aws, stackName, cancellationToken);
        }

        await ScaleAsync(stack, count, cancellationToken);
        console.MarkupLine($"resume took {total.Elapsed.TotalSeconds:0}s");
        await StatusAsync(stackName, cancellationToken);
    }

    public async Task StatusAsync(string stackName, CancellationToken cancellationToken)
    {
        var stack = await StackHandle.ResolveAsync(aws, stackName, cancellationToken);
        var service = await DescribeAsync(stack, cancellationToken);
        var natState = stack.NatInstanceId is { } nat ? await _ec2.GetInstanceStateAsync(nat, cancellationToken) : null;

        var table = new Table().Title($"LiliumShare stack [bold]{Markup.Escape(stack.StackName)}[/]").AddColumns("part", "state");
        table.AddRow("mode", Markup.Escape(stack.Mode + (stack.AppUrl is { } url ? $" ({url})" : "")));
        table.AddRow("relay service", Markup.Escape($"{service.ServiceName}: desired {service.DesiredCount}, running {service.RunningCount}, pending {service.PendingCount}"));
        table.AddRow("database", "Aurora Serverless v2: pauses itself at 0 ACU after 5 idle minutes");
        table.AddRow("NAT instance", Markup.Escape(natState is null ? "none" : $"{stack.NatInstanceId}: {natState}"));

        // The same price table and arithmetic as 'make cost', over the deployed template and the tasks running now.
        var templateBody = await new CloudFormationClient(aws).GetTemplateAsync(stack.StackName, cancellationToken);
        if (templateBody is not null)
        {
            var prices = PriceTable.Load();
            using var template = JsonDocument.Parse(templateBody);
            var estimate = CostModel.Estimate(template.RootElement, prices, relayTasks: service.RunningCount);
            table.AddRow("estimated cost now", Markup.Escape($"${estimate.UsdPerMonth:0.00}/month at this state, idle (${estimate.UsdPerMonth / prices.HoursPerMonth:0.0000}/hour; prices of {prices.Date}, {prices.Region}; requests and data transfer extra)"));
        }

        console.Write(table);
        console.WriteLine($"mode={stack.Mode} desired={service.DesiredCount} running={service.RunningCount}");
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
