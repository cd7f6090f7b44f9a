using System.Diagnostics;

namespace Lilium.Ops;

/// <summary>Deploys the stack in a mode (<c>active</c>, <c>paused</c>, <c>minimal</c>): the template changes, not just a count.</summary>
public interface IStackDeployer
{
    Task DeployAsync(string stackName, string mode, CancellationToken cancellationToken);
}

/// <summary>
/// Runs a deploy command from the repository root with its output passed through: by default the pinned aws-cdk CLI
/// (<c>npx --no-install cdk deploy STACK -c stackName=STACK -c mode=MODE</c>); <c>LILIUM_DEPLOY_COMMAND</c> replaces it
/// (e.g. <c>scripts/deploy-local.sh deploy</c> for the local endpoint), receiving the stack name as its last argument and
/// the mode in <c>LILIUM_MODE</c>.
/// </summary>
public sealed class CommandDeployer(string workingDirectory, string? command = null) : IStackDeployer
{
    public async Task DeployAsync(string stackName, string mode, CancellationToken cancellationToken)
    {
        var psi = new ProcessStartInfo { WorkingDirectory = workingDirectory, UseShellExecute = false };
        if (command is { Length: > 0 })
        {
            psi.FileName = "bash";
            psi.ArgumentList.Add("-c");
            psi.ArgumentList.Add(command + " \"$0\"");
            psi.ArgumentList.Add(stackName);
        }
        else
        {
            psi.FileName = "npx";
            foreach (var a in new[] { "--no-install", "cdk", "deploy", stackName, "--require-approval", "never", "-c", "stackName=" + stackName, "-c", "mode=" + mode })
            {
                psi.ArgumentList.Add(a);
            }
        }

        psi.Environment["LILIUM_MODE"] = mode;
        using var process = Process.Start(psi) ?? throw new OpsException($"could not start the deploy ({psi.FileName})");
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
        {
            throw new OpsException($"the deploy to mode '{mode}' failed (exit {process.ExitCode}); its output is above. The stack keeps its previous mode.");
        }
    }
}
