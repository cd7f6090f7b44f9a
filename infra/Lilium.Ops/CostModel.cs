namespace Lilium.Ops;

/// <summary>
/// List prices (USD, us-east-1, on demand) of what the stack bills by the hour, as AWS published them
/// in 2025; docs/costs.md shows the arithmetic. Estimates, not a bill: data transfer, requests and
/// storage come on top.
/// </summary>
public static class CostModel
{
    public const string PriceDate = "2025 list prices, us-east-1";

    public const decimal PublicIpv4PerHour = 0.005m;
    public const decimal AlbPerHour = 0.0225m;
    public const int AlbPublicIps = 2;
    public const decimal NatInstancePerHour = 0.0042m; // t4g.nano
    public const decimal FargateVcpuPerHour = 0.04048m;
    public const decimal FargateGbPerHour = 0.004445m;
    public const decimal RelayTaskVcpu = 1m;
    public const decimal RelayTaskGb = 2m;
    public const decimal AuroraAcuPerHour = 0.12m;

    public static decimal RelayTaskPerHour => (RelayTaskVcpu * FargateVcpuPerHour) + (RelayTaskGb * FargateGbPerHour) + PublicIpv4PerHour;

    /// <summary>The hourly cost of the current state: running relay tasks, the load balancer, the NAT instance if running, active database capacity.</summary>
    public static decimal HourlyCost(int runningTasks, bool natRunning, decimal activeAcu) =>
        (runningTasks * RelayTaskPerHour)
        + AlbPerHour + (AlbPublicIps * PublicIpv4PerHour)
        + (natRunning ? NatInstancePerHour + PublicIpv4PerHour : 0)
        + (activeAcu * AuroraAcuPerHour);
}
