using Lilium.Aws;
using Lilium.Ops;
using Lilium.Testing;
using Spectre.Console;

namespace Lilium.Infra.Tests;

/// <summary>The ops commands against the :4566 endpoint, writing plain text to a buffer the test reads.</summary>
internal static class OpsHarness
{
    /// <param name="deployer">How mode changes are deployed: <see cref="LocalDeployer"/> (the real cdk deploy to the endpoint).</param>
    public static (OpsCommands Ops, StringWriter Output, AwsContext Aws) Create(AwsEndpointFixture endpoint, IStackDeployer deployer)
    {
        var output = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors });
        var aws = new AwsContext(new HttpClient(), AwsSettings.From(endpoint.Environment), new Lilium.Aws.Credentials.StaticCredentialsProvider(AwsEndpointFixture.AccessKeyId, AwsEndpointFixture.SecretAccessKey));
        return (new OpsCommands(aws, console, TimeSpan.Zero, deployer), output, aws);
    }
}

/// <summary><c>scripts/deploy-local.sh deploy STACK</c> with <c>LILIUM_MODE</c>: the real cdk deploy of that mode to the endpoint.</summary>
internal sealed class LocalDeployer(AwsEndpointFixture endpoint) : IStackDeployer
{
    public List<string> Modes { get; } = [];

    public async Task DeployAsync(string stackName, string mode, CancellationToken cancellationToken)
    {
        Modes.Add(mode);
        var result = await ProcessRunner.RunAsync(
            "bash", [Path.Combine(RepoPaths.Scripts, "deploy-local.sh"), "deploy", stackName], TimeSpan.FromMinutes(12),
            environment: new Dictionary<string, string?> { ["LOCALSTACK_ENDPOINT"] = endpoint.Endpoint.ToString().TrimEnd('/'), ["LILIUM_MODE"] = mode },
            cancellationToken: cancellationToken);
        result.EnsureSuccess($"deploy-local.sh deploy {stackName} (mode {mode})");
    }
}

/// <summary>
/// For the boto3-made stack of <see cref="OpsCommandTests"/>, which no template describes: records the modes asked
/// for and sets the stack's <c>Mode</c> output as a deploy would (an UpdateStack through the aws CLI). The real deploys
/// of each mode run in <see cref="LocalDeployTests"/>.
/// </summary>
internal sealed class OutputOnlyDeployer(AwsEndpointFixture endpoint) : IStackDeployer
{
    public List<string> Modes { get; } = [];

    public async Task DeployAsync(string stackName, string mode, CancellationToken cancellationToken)
    {
        Modes.Add(mode);
        var result = await ProcessRunner.RunAsync(
            "python3", [Path.Combine(AppContext.BaseDirectory, "make_ops_fixture.py"), endpoint.Endpoint.ToString().TrimEnd('/'), stackName, "--set-mode", mode], cancellationToken: cancellationToken);
        result.EnsureSuccess("make_ops_fixture.py --set-mode");
    }
}
