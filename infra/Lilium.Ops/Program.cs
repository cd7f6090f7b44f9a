using System.CommandLine;
using Lilium.Aws;
using Lilium.Ops;
using Spectre.Console;

var stackOption = new Option<string>("--stack")
{
    Description = "CloudFormation stack name",
    DefaultValueFactory = _ => Environment.GetEnvironmentVariable("LILIUM_STACK") ?? "LiliumShare",
};
var minimalOption = new Option<bool>("--minimal") { Description = "also remove the NAT instance: nothing billed by the hour; the control plane answers 503 until resume" };
var timeoutOption = new Option<int>("--timeout")
{
    Description = "seconds to wait for the tasks to converge (0: do not wait)",
    DefaultValueFactory = _ => 300,
};
var countOption = new Option<int>("--count") { Description = "relay tasks to run", DefaultValueFactory = _ => 1 };

var templatesOption = new Option<string>("--templates") { Description = "folder with active|paused|minimal.template.json", Required = true };
var jsonOption = new Option<string>("--json") { Description = "where to write the figures", DefaultValueFactory = _ => "bench/results/cost.json" };
var docOption = new Option<string>("--doc") { Description = "where to write the generated page", DefaultValueFactory = _ => "docs/costs.md" };

var deploy = new Command("deploy", "deploy the current code in the stack's current mode (a new stack starts paused)") { stackOption, timeoutOption };
var pause = new Command("pause", "relay to zero and no load balancer (--minimal: nothing billed by the hour)") { stackOption, minimalOption, timeoutOption };
var resume = new Command("resume", "load balancer (and NAT instance) back, then the relay tasks; says how long it took") { stackOption, timeoutOption, countOption };
var status = new Command("status", "mode, tasks, database state and the estimated monthly cost of this state") { stackOption, timeoutOption };
var cost = new Command("cost", "price each mode's synthesized template: bench/results/cost.json and docs/costs.md") { templatesOption, jsonOption, docOption };
var root = new RootCommand("LiliumShare operations: deploy, pause, resume, status and cost of a stack") { deploy, pause, resume, status, cost };

deploy.SetAction((result, ct) => Run(result, ct, ops => ops.DeployAsync(result.GetValue(stackOption)!, ct)));
pause.SetAction((result, ct) => Run(result, ct, ops => ops.PauseAsync(result.GetValue(stackOption)!, result.GetValue(minimalOption), ct)));
resume.SetAction((result, ct) => Run(result, ct, ops => ops.ResumeAsync(result.GetValue(stackOption)!, result.GetValue(countOption), ct)));
status.SetAction((result, ct) => Run(result, ct, ops => ops.StatusAsync(result.GetValue(stackOption)!, ct)));
cost.SetAction(result =>
{
    var prices = PriceTable.Load();
    var estimates = CostReport.Estimate(result.GetValue(templatesOption)!, prices);
    var json = result.GetValue(jsonOption)!;
    Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(json))!);
    File.WriteAllText(json, CostReport.Json(estimates, prices));
    File.WriteAllText(result.GetValue(docOption)!, CostReport.Markdown(estimates, prices));
    foreach (var (mode, estimate) in estimates)
    {
        AnsiConsole.MarkupLine($"{mode,-8} [bold]${estimate.UsdPerMonth:0.00}[/]/month idle");
    }

    var ok = estimates["paused"].UsdPerMonth <= CostReport.PausedTarget && estimates["minimal"].UsdPerMonth <= CostReport.MinimalTarget;
    AnsiConsole.MarkupLine(ok ? "[green]✓[/] within the targets (paused ≤ $25, minimal ≤ $2)" : "[red]✗[/] over a target (paused ≤ $25, minimal ≤ $2)");
    return ok ? 0 : 1;
});

return await root.Parse(args).InvokeAsync();

async Task<int> Run(ParseResult result, CancellationToken cancellationToken, Func<OpsCommands, Task> action)
{
    try
    {
        var aws = AwsContext.FromEnvironment();
        var timeout = TimeSpan.FromSeconds(Math.Max(0, result.GetValue(timeoutOption)));
        var deployer = new CommandDeployer(Directory.GetCurrentDirectory(), Environment.GetEnvironmentVariable("LILIUM_DEPLOY_COMMAND"));
        await action(new OpsCommands(aws, AnsiConsole.Console, timeout, deployer));
        return 0;
    }
    catch (OpsException e)
    {
        AnsiConsole.MarkupLine($"[red]error:[/] {Markup.Escape(e.Message)}");
        return 2;
    }
    catch (AwsConfigurationException e)
    {
        AnsiConsole.MarkupLine($"[red]AWS configuration:[/] {Markup.Escape(e.Message)} (set AWS_REGION and credentials, e.g. AWS_PROFILE)");
        return 2;
    }
    catch (AwsServiceException e)
    {
        AnsiConsole.MarkupLine($"[red]AWS said {Markup.Escape(e.ErrorCode)}:[/] {Markup.Escape(e.ServiceMessage)}");
        return 1;
    }
    catch (HttpRequestException e)
    {
        AnsiConsole.MarkupLine($"[red]cannot reach AWS:[/] {Markup.Escape(e.Message)}");
        return 1;
    }
}
