using Lilium.Aws;
using Lilium.Ops;
using Lilium.Testing;
using Spectre.Console;

namespace Lilium.Infra.Tests;

/// <summary>The ops commands against the :4566 endpoint, writing plain text to a buffer the test reads.</summary>
internal static class OpsHarness
{
    public static (OpsCommands Ops, StringWriter Output, AwsContext Aws) Create(AwsEndpointFixture endpoint)
    {
        var output = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors });
        var aws = new AwsContext(new HttpClient(), AwsSettings.From(endpoint.Environment), new Lilium.Aws.Credentials.StaticCredentialsProvider(AwsEndpointFixture.AccessKeyId, AwsEndpointFixture.SecretAccessKey));
        return (new OpsCommands(aws, console, TimeSpan.Zero), output, aws);
    }
}
