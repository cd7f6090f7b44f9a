using Amazon.CDK;
using Lilium.Infra;

var app = new App();
_ = new LiliumStack(app, app.Node.TryGetContext("stackName") as string ?? "LiliumShare", LiliumStackProps.FromContext(app));
app.Synth();
