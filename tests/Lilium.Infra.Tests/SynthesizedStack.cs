using Amazon.CDK;
using Amazon.CDK.Assertions;
using Lilium.Infra;

namespace Lilium.Infra.Tests;

/// <summary>Synthesizes the stack once for a test class (jsii synthesis takes seconds), with placeholder Lambda bundles.</summary>
public sealed class SynthesizedStack : IDisposable
{
    /// <summary>Test classes that synthesize share this collection: the jsii runtime does not start twice at once.</summary>
    public const string Collection = "jsii synthesis";

    private readonly string _bundles = Path.Combine(Path.GetTempPath(), "lilium-bundles-" + Guid.NewGuid().ToString("N"));

    public SynthesizedStack()
        : this(localEndpoint: false)
    {
    }

    internal SynthesizedStack(bool localEndpoint, DeploymentMode mode = DeploymentMode.Active, string? webDist = null)
    {
        foreach (var name in new[] { "api", "signaling" })
        {
            Directory.CreateDirectory(Path.Combine(_bundles, name));
            File.WriteAllText(Path.Combine(_bundles, name, "bootstrap"), "#!/bin/sh\n");
        }

        var app = new App();
        Stack = new LiliumStack(app, "LiliumTest", new LiliumStackProps
        {
            ApiBundle = Path.Combine(_bundles, "api"),
            SignalingBundle = Path.Combine(_bundles, "signaling"),
            Mode = mode,
            WebDist = webDist,
            LocalEndpoint = localEndpoint,
            Env = new Amazon.CDK.Environment { Account = "123456789012", Region = "us-east-1" },
        });
        ApiBundleHash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(Path.Combine(_bundles, "api", "bootstrap"))));
        Template = Template.FromStack(Stack);
        Json = System.Text.Json.JsonSerializer.Serialize(Template.ToJSON());
        Resources = System.Text.Json.JsonDocument.Parse(Json).RootElement.GetProperty(nameof(Resources)).Clone();
    }

    public LiliumStack Stack { get; }

    public Template Template { get; }

    /// <summary>SHA-256 of the placeholder api bootstrap (the migrations resource's <c>BundleSha256</c>).</summary>
    public string ApiBundleHash { get; }

    public string Json { get; }

    public System.Text.Json.JsonElement Resources { get; }

    public IEnumerable<(string Id, System.Text.Json.JsonElement Properties)> OfType(string type) =>
        Resources.EnumerateObject()
            .Where(r => r.Value.GetProperty("Type").GetString() == type)
            .Select(r => (r.Name, r.Value.TryGetProperty("Properties", out var p) ? p : default));

    public void Dispose()
    {
        try
        {
            Directory.Delete(_bundles, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
