using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Lilium.Ops;

/// <summary>
/// The dated price table (bench/cost/prices.json, compiled in): USD list prices, on demand, of what the stack can
/// bill while idle. Estimates, not a bill: requests, data transfer and log volume come on top and scale with use.
/// </summary>
public sealed record PriceTable
{
    public required string Date { get; init; }

    public required string Region { get; init; }

    public required string Source { get; init; }

    public decimal HoursPerMonth { get; init; }

    public decimal PublicIpv4PerHour { get; init; }

    public decimal AlbPerHour { get; init; }

    public int AlbPublicIpv4 { get; init; }

    public decimal NatGatewayPerHour { get; init; }

    public required IReadOnlyDictionary<string, decimal> Ec2PerHour { get; init; }

    public decimal EbsGp3PerGbMonth { get; init; }

    public decimal Ec2RootVolumeGb { get; init; }

    public decimal FargateVcpuPerHour { get; init; }

    public decimal FargateGbPerHour { get; init; }

    /// <summary>Linux/ARM (Graviton) tasks, what the stack's relay runs on: about 20 % below Linux/x86.</summary>
    public decimal FargateArmVcpuPerHour { get; init; }

    public decimal FargateArmGbPerHour { get; init; }

    /// <summary>Where and when the ARM rates were read (they were added to the table later than <see cref="Date"/>).</summary>
    public string? FargateArmNote { get; init; }

    public decimal SecretPerMonth { get; init; }

    public decimal AlarmPerMonth { get; init; }

    public decimal DashboardPerMonth { get; init; }

    public int FreeDashboards { get; init; }

    public decimal InterfaceEndpointPerAzHour { get; init; }

    public decimal AuroraAcuPerHour { get; init; }

    public decimal AuroraStoragePerGbMonth { get; init; }

    public decimal AuroraIdleStorageGb { get; init; }

    public decimal EcrStoragePerGbMonth { get; init; }

    public decimal RelayImageGb { get; init; }

    public int EcrKeptImages { get; init; }

    public decimal KmsKeyPerMonth { get; init; }

    private static readonly JsonSerializerOptions Options = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase, NumberHandling = JsonNumberHandling.Strict };

    /// <summary>The table compiled into this tool.</summary>
    public static PriceTable Load()
    {
        using var stream = typeof(PriceTable).Assembly.GetManifestResourceStream("prices.json")
            ?? throw new InvalidOperationException("prices.json is not embedded");
        return JsonSerializer.Deserialize<PriceTable>(stream, Options) ?? throw new InvalidOperationException("prices.json is empty");
    }
}

/// <summary>One billable line of an estimate.</summary>
public sealed record CostLine(string Item, string Basis, decimal UsdPerMonth);

/// <summary>An idle month of one template: its billable lines and their sum.</summary>
public sealed record CostEstimate(IReadOnlyList<CostLine> Lines)
{
    public decimal UsdPerMonth => Lines.Sum(l => l.UsdPerMonth);
}

/// <summary>
/// Prices a CloudFormation template's idle month from its billable resources: what runs by the hour (load balancers,
/// instances, NAT gateways, public IPv4, relay tasks, interface endpoints) and the fixed monthly items (secrets,
/// alarms, dashboards beyond the free ones, KMS keys, Aurora's storage at 0 ACU, the kept relay images). Everything
/// else in the stack (Lambda, API Gateway, DynamoDB on demand, CloudFront, S3, logs) costs nothing while idle.
/// </summary>
public static class CostModel
{
    /// <param name="relayTasks">Relay tasks to price when the template leaves the service's count to the operator
    /// (active mode: <c>make resume</c> runs one); a count in the template wins.</param>
    public static CostEstimate Estimate(JsonElement template, PriceTable prices, int relayTasks = 1)
    {
        var resources = template.GetProperty("Resources").EnumerateObject().Select(r => (Id: r.Name, Type: r.Value.GetProperty("Type").GetString() ?? "", Props: r.Value.TryGetProperty("Properties", out var p) ? p : default)).ToList();
        var lines = new List<CostLine>();
        var h = prices.HoursPerMonth;
        void Add(string item, string basis, decimal monthly) => lines.Add(new CostLine(item, basis, decimal.Round(monthly, 2)));
        int Count(string type) => resources.Count(r => r.Type == type);

        foreach (var lb in resources.Where(r => r.Type == "AWS::ElasticLoadBalancingV2::LoadBalancer"))
        {
            var internetFacing = !(lb.Props.ValueKind == JsonValueKind.Object && lb.Props.TryGetProperty("Scheme", out var scheme) && scheme.GetString() == "internal");
            Add("Application Load Balancer", $"${prices.AlbPerHour}/h", prices.AlbPerHour * h);
            if (internetFacing)
            {
                Add("its public IPv4 addresses", $"{prices.AlbPublicIpv4} × ${prices.PublicIpv4PerHour}/h", prices.AlbPublicIpv4 * prices.PublicIpv4PerHour * h);
            }
        }

        foreach (var instance in resources.Where(r => r.Type == "AWS::EC2::Instance"))
        {
            var type = instance.Props.TryGetProperty("InstanceType", out var t) ? t.GetString() ?? "?" : "?";
            var perHour = prices.Ec2PerHour.TryGetValue(type, out var p) ? p : throw new InvalidOperationException($"no price for instance type {type} in prices.json");
            Add($"EC2 instance {type} (NAT)", $"${perHour}/h", perHour * h);
            Add("its public IPv4", $"${prices.PublicIpv4PerHour}/h", prices.PublicIpv4PerHour * h);
            Add("its root volume", $"{prices.Ec2RootVolumeGb} GB × ${prices.EbsGp3PerGbMonth}/GB-month", prices.Ec2RootVolumeGb * prices.EbsGp3PerGbMonth);
        }

        foreach (var _ in resources.Where(r => r.Type == "AWS::EC2::NatGateway"))
        {
            Add("NAT gateway + its public IPv4", $"${prices.NatGatewayPerHour}/h + ${prices.PublicIpv4PerHour}/h", (prices.NatGatewayPerHour + prices.PublicIpv4PerHour) * h);
        }

        if (Count("AWS::EC2::EIP") is var eips and > 0)
        {
            Add("Elastic IPs", $"{eips} × ${prices.PublicIpv4PerHour}/h", eips * prices.PublicIpv4PerHour * h);
        }

        foreach (var endpoint in resources.Where(r => r.Type == "AWS::EC2::VPCEndpoint" && r.Props.TryGetProperty("VpcEndpointType", out var kind) && kind.GetString() == "Interface"))
        {
            var azs = endpoint.Props.TryGetProperty("SubnetIds", out var subnets) ? subnets.GetArrayLength() : 1;
            Add("interface VPC endpoint", $"{azs} AZ × ${prices.InterfaceEndpointPerAzHour}/h", azs * prices.InterfaceEndpointPerAzHour * h);
        }

        foreach (var service in resources.Where(r => r.Type == "AWS::ECS::Service"))
        {
            var tasks = service.Props.TryGetProperty("DesiredCount", out var d) && d.ValueKind == JsonValueKind.Number ? d.GetInt32() : relayTasks;
            if (tasks == 0)
            {
                continue;
            }

            var taskDefId = service.Props.GetProperty("TaskDefinition").GetProperty("Ref").GetString()!;
            var taskDef = resources.Single(r => r.Id == taskDefId).Props;
            var vcpu = decimal.Parse(taskDef.GetProperty("Cpu").GetString()!, CultureInfo.InvariantCulture) / 1024m;
            var gb = decimal.Parse(taskDef.GetProperty("Memory").GetString()!, CultureInfo.InvariantCulture) / 1024m;
            var publicIp = service.Props.GetRawText().Contains("\"AssignPublicIp\":\"ENABLED\"", StringComparison.Ordinal);
            var arm = taskDef.TryGetProperty("RuntimePlatform", out var platform) && platform.TryGetProperty("CpuArchitecture", out var cpu)
                && cpu.ValueKind == JsonValueKind.String && cpu.GetString() == "ARM64";
            var (vcpuRate, gbRate) = arm ? (prices.FargateArmVcpuPerHour, prices.FargateArmGbPerHour) : (prices.FargateVcpuPerHour, prices.FargateGbPerHour);
            Add($"Fargate relay task{(tasks == 1 ? "" : "s")} ({vcpu} vCPU / {gb} GB, {(arm ? "ARM64" : "x86_64")})", $"{tasks} × (${vcpuRate}/vCPU-h + ${gbRate}/GB-h)",
                tasks * ((vcpu * vcpuRate) + (gb * gbRate)) * h);
            if (publicIp)
            {
                Add("their public IPv4", $"{tasks} × ${prices.PublicIpv4PerHour}/h", tasks * prices.PublicIpv4PerHour * h);
            }
        }

        foreach (var cluster in resources.Where(r => r.Type == "AWS::RDS::DBCluster"))
        {
            var min = cluster.Props.TryGetProperty("ServerlessV2ScalingConfiguration", out var scaling) && scaling.TryGetProperty("MinCapacity", out var m) ? m.GetDecimal() : 0.5m;
            Add("Aurora storage", $"~{prices.AuroraIdleStorageGb} GB × ${prices.AuroraStoragePerGbMonth}/GB-month", prices.AuroraIdleStorageGb * prices.AuroraStoragePerGbMonth);
            if (min > 0)
            {
                Add("Aurora Serverless v2 minimum capacity", $"{min} ACU × ${prices.AuroraAcuPerHour}/h", min * prices.AuroraAcuPerHour * h);
            }
        }

        if (Count("AWS::SecretsManager::Secret") is var secrets and > 0)
        {
            Add("Secrets Manager secrets", $"{secrets} × ${prices.SecretPerMonth}/month", secrets * prices.SecretPerMonth);
        }

        if (Count("AWS::CloudWatch::Alarm") is var alarms and > 0)
        {
            Add("CloudWatch alarms", $"{alarms} × ${prices.AlarmPerMonth}/month", alarms * prices.AlarmPerMonth);
        }

        if (Count("AWS::CloudWatch::Dashboard") is var dashboards and > 0)
        {
            Add("CloudWatch dashboards", $"{dashboards}; the first {prices.FreeDashboards} of an account are free, then ${prices.DashboardPerMonth}/month", Math.Max(0, dashboards - prices.FreeDashboards) * prices.DashboardPerMonth);
        }

        if (Count("AWS::KMS::Key") is var keys and > 0)
        {
            Add("KMS keys", $"{keys} × ${prices.KmsKeyPerMonth}/month", keys * prices.KmsKeyPerMonth);
        }

        if (Count("AWS::ECR::Repository") is var repos and > 0)
        {
            Add("relay images kept in ECR", $"{repos} × {prices.EcrKeptImages} × {prices.RelayImageGb} GB × ${prices.EcrStoragePerGbMonth}/GB-month", repos * prices.EcrKeptImages * prices.RelayImageGb * prices.EcrStoragePerGbMonth);
        }

        return new CostEstimate(lines);
    }
}
