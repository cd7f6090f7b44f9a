using System.CommandLine;
using Lilium.Aws;
using Lilium.Ops;
using Spectre.Console;

var stackOption = new Option<string>("--stack")
{
    Description = "CloudFormation stack name",
    DefaultValueFactory = _ => Environment.GetEnvironmentVariable("LILIUM_STACK") ?? "LiliumShare",
};
var minimalOption = new Option<bool>("--minimal") { Description = "also stop (or start) the NAT instance, the other part billed by the hour" };
var timeoutOption = new Option<int>("--timeout")
{
    Description = "seconds to wait for the tasks to converge (0: do not wait)",
    DefaultValueFactory = _ => 300,
};
var countOption = new Option<int>("--count") { Description = "relay tasks to run", DefaultValueFactory = _ => 1 };

var pause = new Command("pause", "scale the media relay to zero (near-zero cost)") { stackOption, minimalOption, timeoutOption };
var resume = new Command("resume", "bring the media relay back") { stackOption, minimalOption, timeoutOption, countOption };
var status = new Command("status", "tasks, database state and the estimated hourly cost") { stackOption };
var root = new RootCommand("LiliumShare operations: pause, resume and status of a deployed stack") { pause, resume, status };

pause.SetAction((result, ct) => Run(result, ct, ops => ops.PauseAsync(result.GetValue(stackOption)!, result.GetValue(minimalOption), ct)));
resume.SetAction((result, ct) => Run(result, ct, ops => ops.ResumeAsync(result.GetValue(stackOption)!, result.GetValue(countOption), result.GetValue(minimalOption), ct)));
status.SetAction((result, ct) => Run(result, ct, ops => ops.StatusAsync(result.GetValue(stackOption)!, ct)));

return await root.Parse(args).InvokeAsync();

async Task<int> Run(ParseResult result, CancellationToken cancellationToken, Func<OpsCommands, Task> action)
{
    try
    {
        var aws = AwsContext.FromEnvironment();
        var timeout = TimeSpan.FromSeconds(Math.Max(0, result.GetValue(timeoutOption)));
        await action(new OpsCommands(aws, AnsiConsole.Console, timeout));
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
