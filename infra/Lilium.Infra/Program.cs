using Amazon.CDK;
using Lilium.Infra;

var app = new App();
if (app.Node.TryGetContext("costModes") as string == "true")
{
    // make cost: one template per mode (active, paused, minimal), priced by Lilium.Ops from cdk.out.
    var props = LiliumStackProps.FromContext(app);
    foreach (var mode in Enum.GetValues<DeploymentMode>())
    {
        _ = new LiliumStack(app, mode.ToString().ToLowerInvariant(), new LiliumStackProps
        {
            ApiBundle = props.ApiBundle,
            SignalingBundle = props.SignalingBundle,
            RelayImage = props.RelayImage,
            CertificateArn = props.CertificateArn,
            WebDist = null,
            Mode = mode,
            Env = props.Env,
        });
    }
}
else
{
    _ = new LiliumStack(app, app.Node.TryGetContext("stackName") as string ?? "LiliumShare", LiliumStackProps.FromContext(app));
}

app.Synth();
