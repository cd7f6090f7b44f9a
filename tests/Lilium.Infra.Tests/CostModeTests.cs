using System.Text.Json;
using Lilium.Ops;

namespace Lilium.Infra.Tests;

/// <summary>The three cost modes' templates, and their idle month priced from them (make cost).</summary>
[Trait("Category", "Integration")]
[Collection(SynthesizedStack.Collection)]
public sealed class CostModeTests : IClassFixture<CostModeTests.Modes>
{
    private readonly Modes _modes;

    public CostModeTests(Modes modes) => _modes = modes;

    /// <summary>One synthesized stack per mode (jsii synthesis takes seconds each).</summary>
    public sealed class Modes : IDisposable
    {
        public SynthesizedStack Active { get; } = new(localEndpoint: false, DeploymentMode.Active);

        public SynthesizedStack Paused { get; } = new(localEndpoint: false, DeploymentMode.Paused);

        public SynthesizedStack Minimal { get; } = new(localEndpoint: false, DeploymentMode.Minimal);

        public void Dispose()
        {
            Active.Dispose();
            Paused.Dispose();
            Minimal.Dispose();
        }
    }

    private static JsonElement Template(SynthesizedStack stack) => JsonDocument.Parse(stack.Json).RootElement;

    [Fact]
    public void The_minimal_template_holds_no_load_balancer_nat_instance_or_public_ipv4()
    {
        var types = _modes.Minimal.Resources.EnumerateObject().Select(r => r.Value.GetProperty("Type").GetString()).ToHashSet();
        foreach (var hourly in new[] { "AWS::ElasticLoadBalancingV2::LoadBalancer", "AWS::EC2::Instance", "AWS::EC2::NatGateway", "AWS::EC2::EIP", "AWS::EC2::EIPAssociation" })
        {
            Assert.DoesNotContain(hourly, types);
        }

        // Only the free gateway endpoint; no route still pointing at an instance; the relay service runs no task (a
        // task would take a public IPv4).
        Assert.All(_modes.Minimal.OfType("AWS::EC2::VPCEndpoint"), e => Assert.Equal("Gateway", e.Properties.GetProperty("VpcEndpointType").GetString()));
        Assert.DoesNotContain(_modes.Minimal.OfType("AWS::EC2::Route"), r => r.Properties.TryGetProperty("InstanceId", out _));
        Assert.Equal(0, Assert.Single(_modes.Minimal.OfType("AWS::ECS::Service")).Properties.GetProperty("DesiredCount").GetInt32());
        Assert.DoesNotContain("NatInstanceId", _modes.Minimal.Json, StringComparison.Ordinal);
    }

    [Fact]
    public void Minimal_mode_answers_the_api_and_signaling_at_the_edge_with_a_clear_503()
    {
        var paused = _modes.Minimal.OfType("AWS::CloudFront::Function").Single(f => f.Properties.GetProperty("FunctionCode").GetString()!.Contains("503", StringComparison.Ordinal));
        var code = paused.Properties.GetProperty("FunctionCode").GetString()!;
        Assert.Contains("deployment-paused", code, StringComparison.Ordinal);
        Assert.Contains("application/problem+json", code, StringComparison.Ordinal);

        var config = _modes.Minimal.OfType("AWS::CloudFront::Distribution").Single().Properties.GetProperty("DistributionConfig");
        foreach (var path in new[] { "/v1/*", "/ws" })
        {
            var behavior = config.GetProperty("CacheBehaviors").EnumerateArray().Single(b => b.GetProperty("PathPattern").GetString() == path);
            Assert.Contains(paused.Id, behavior.GetProperty("FunctionAssociations").GetRawText(), StringComparison.Ordinal);
        }

        Assert.DoesNotContain(config.GetProperty("CacheBehaviors").EnumerateArray(), b => b.GetProperty("PathPattern").GetString()!.StartsWith("/whip", StringComparison.Ordinal));

        // The active template has no such function on its paths.
        Assert.DoesNotContain(_modes.Active.OfType("AWS::CloudFront::Function"), f => f.Properties.GetProperty("FunctionCode").GetString()!.Contains("deployment-paused", StringComparison.Ordinal));
    }

    [Fact]
    public void Paused_keeps_the_nat_instance_but_no_load_balancer_and_no_task()
    {
        Assert.Empty(_modes.Paused.OfType("AWS::ElasticLoadBalancingV2::LoadBalancer"));
        Assert.Single(_modes.Paused.OfType("AWS::EC2::Instance"));
        Assert.Equal(0, Assert.Single(_modes.Paused.OfType("AWS::ECS::Service")).Properties.GetProperty("DesiredCount").GetInt32());
    }

    [Fact]
    public void A_deploy_in_active_mode_never_sets_the_relays_desired_count()
    {
        Assert.False(Assert.Single(_modes.Active.OfType("AWS::ECS::Service")).Properties.TryGetProperty("DesiredCount", out _));
        Assert.Single(_modes.Active.OfType("AWS::ElasticLoadBalancingV2::LoadBalancer"));
    }

    [Fact]
    public void Switching_modes_replaces_nothing_that_holds_data_or_code()
    {
        // Same logical ids for the network, data and functions in every mode: a mode change adds or removes the hourly
        // parts only.
        static HashSet<string> Kept(SynthesizedStack s) => s.Resources.EnumerateObject()
            .Where(r => r.Value.GetProperty("Type").GetString() is "AWS::EC2::VPC" or "AWS::EC2::Subnet" or "AWS::RDS::DBCluster" or "AWS::DynamoDB::Table"
                or "AWS::SecretsManager::Secret" or "AWS::Lambda::Function" or "AWS::ECS::Service" or "AWS::ECR::Repository" or "AWS::S3::Bucket" or "AWS::CloudFront::Distribution")
            .Select(r => r.Name).ToHashSet();
        var active = Kept(_modes.Active);
        Assert.Equal(active, Kept(_modes.Paused));
        Assert.Equal(active, Kept(_modes.Minimal));
    }

    [Fact]
    public void The_relay_repository_empties_on_destroy_and_keeps_the_last_five_images()
    {
        var (_, repo) = Assert.Single(_modes.Active.OfType("AWS::ECR::Repository"));
        Assert.Equal("Delete", _modes.Active.Resources.EnumerateObject().Single(r => r.Value.GetProperty("Type").GetString() == "AWS::ECR::Repository").Value.GetProperty("DeletionPolicy").GetString());
        Assert.True(_modes.Active.OfType("Custom::ECRAutoDeleteImages").Any() || repo.TryGetProperty("EmptyOnDelete", out var empty) && empty.GetBoolean());
        var policy = JsonDocument.Parse(repo.GetProperty("LifecyclePolicy").GetProperty("LifecyclePolicyText").GetString()!).RootElement;
        var rule = Assert.Single(policy.GetProperty("rules").EnumerateArray());
        Assert.Equal("imageCountMoreThan", rule.GetProperty("selection").GetProperty("countType").GetString());
        Assert.Equal(5, rule.GetProperty("selection").GetProperty("countNumber").GetInt32());
    }

    [Fact]
    public void Each_modes_idle_month_is_priced_from_its_template_and_meets_the_targets()
    {
        var prices = PriceTable.Load();
        var active = CostModel.Estimate(Template(_modes.Active), prices);
        var paused = CostModel.Estimate(Template(_modes.Paused), prices);
        var minimal = CostModel.Estimate(Template(_modes.Minimal), prices);

        Assert.True(minimal.UsdPerMonth <= CostReport.MinimalTarget, $"minimal ${minimal.UsdPerMonth}: {string.Join("; ", minimal.Lines)}");
        Assert.True(paused.UsdPerMonth <= CostReport.PausedTarget, $"paused ${paused.UsdPerMonth}: {string.Join("; ", paused.Lines)}");
        Assert.True(active.UsdPerMonth > paused.UsdPerMonth && paused.UsdPerMonth > minimal.UsdPerMonth);

        // The arithmetic, line by line, for the parts that bill by the hour.
        Assert.Contains(active.Lines, l => l.Item == "Application Load Balancer" && l.UsdPerMonth == decimal.Round(0.0225m * 730, 2));
        // The relay task runs on ARM64 (Graviton): Fargate's Linux/ARM rates, about 20 % below Linux/x86's.
        var relay = Assert.Single(active.Lines, l => l.Item.StartsWith("Fargate relay task", StringComparison.Ordinal));
        Assert.Contains("ARM64", relay.Item, StringComparison.Ordinal);
        Assert.Equal(decimal.Round(((1m * 0.03238m) + (2m * 0.00356m)) * 730, 2), relay.UsdPerMonth);
        Assert.InRange(relay.UsdPerMonth / (((1m * 0.04048m) + (2m * 0.004445m)) * 730), 0.79m, 0.81m);
        Assert.Contains(paused.Lines, l => l.Item.StartsWith("EC2 instance t4g.nano", StringComparison.Ordinal) && l.UsdPerMonth == decimal.Round(0.0042m * 730, 2));
        Assert.DoesNotContain(minimal.Lines, l => l.Basis.Contains("/h", StringComparison.Ordinal));
        Assert.Contains(minimal.Lines, l => l.Item == "Secrets Manager secrets" && l.UsdPerMonth == 3 * 0.40m);
    }

    [Fact]
    public void The_report_writes_the_three_figures_and_the_page()
    {
        var dir = Path.Combine(Path.GetTempPath(), "lilium-cost-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            File.WriteAllText(Path.Combine(dir, "active.template.json"), _modes.Active.Json);
            File.WriteAllText(Path.Combine(dir, "paused.template.json"), _modes.Paused.Json);
            File.WriteAllText(Path.Combine(dir, "minimal.template.json"), _modes.Minimal.Json);
            var prices = PriceTable.Load();
            var estimates = CostReport.Estimate(dir, prices);
            var json = JsonDocument.Parse(CostReport.Json(estimates, prices)).RootElement;
            Assert.Equal(estimates["minimal"].UsdPerMonth, json.GetProperty("minimal_usd_month").GetDecimal());
            Assert.Equal(estimates["paused"].UsdPerMonth, json.GetProperty("paused_usd_month").GetDecimal());
            Assert.Equal(estimates["active"].UsdPerMonth, json.GetProperty("active_usd_month").GetDecimal());
            Assert.True(json.GetProperty("meets_targets").GetBoolean());
            Assert.Equal(prices.Date, json.GetProperty("prices").GetProperty("date").GetString());
            var page = CostReport.Markdown(estimates, prices);
            Assert.Contains($"${estimates["minimal"].UsdPerMonth:0.00}", page, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
