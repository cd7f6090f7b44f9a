using System.Globalization;
using System.Text.RegularExpressions;

namespace Lilium.Testing.Netns;

/// <summary>
/// A Linux network namespace this test creates, joined to the test's own namespace by a veth pair on a private /30
/// (10.231.x.y, chosen per namespace and checked against the addresses in use): the host end gets <c>.1</c>, the
/// namespace end <c>.2</c>. A server in the test listens on <see cref="HostAddress"/>; a process started inside the
/// namespace (<see cref="ChromiumWrapper"/>, <see cref="ExecAsync"/>) reaches it over the pair, so whatever
/// <see cref="ShapeAsync"/> puts on the pair (tc tbf/netem) is that process's network. <see cref="RouteToAsync"/> lets it
/// reach another namespace's host end too (one relay address for several namespaces).
/// <para>
/// Needs root (CAP_NET_ADMIN) and iproute2; rate limits need <c>sch_tbf</c>, delay and loss <c>sch_netem</c>
/// (scripts/install-deps.sh). Names carry the creating process's id (<c>lilium-nt-PID-N</c>): creating one first deletes
/// namespaces whose process is gone (a crashed run), and <see cref="DisposeAsync"/> deletes this one, which takes the pair
/// and its queueing disciplines with it.
/// </para>
/// </summary>
public sealed partial class NetworkNamespace : IAsyncDisposable
{
    public const string Prefix = "lilium-nt-";

    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(30);
    private readonly string _directory;
    private readonly List<string[]> _hostRules = [];

    private NetworkNamespace(string name, string hostLink, string namespaceLink, string hostAddress, string namespaceAddress, string directory)
    {
        Name = name;
        HostLink = hostLink;
        NamespaceLink = namespaceLink;
        HostAddress = hostAddress;
        NamespaceAddress = namespaceAddress;
        _directory = directory;
    }

    public string Name { get; }

    /// <summary>The pair's end in the test's namespace.</summary>
    public string HostLink { get; }

    /// <summary>The pair's end inside <see cref="Name"/>.</summary>
    public string NamespaceLink { get; }

    public string HostAddress { get; }

    public string NamespaceAddress { get; }

    /// <summary>What <see cref="ShapeAsync"/> last applied each way (null: unshaped).</summary>
    public LinkShape? IntoNamespaceShape { get; private set; }

    public LinkShape? OutOfNamespaceShape { get; private set; }

    /// <summary>Creates a namespace with its veth pair up and addressed; fails with what is missing (root, iproute2).</summary>
    public static async Task<NetworkNamespace> CreateAsync()
    {
        if (!OperatingSystem.IsLinux() || !File.Exists("/proc/self/ns/net"))
        {
            throw new PlatformNotSupportedException("network namespaces need Linux with CONFIG_NET_NS (/proc/self/ns/net is missing)");
        }

        await RemoveStaleAsync();
        var inUse = (await RunAsync("ip", ["-4", "-o", "addr", "show"])).StdOut;
        for (var attempt = 0; ; attempt++)
        {
            var id = Random.Shared.Next(1, 1 << 14);
            var subnet = id * 4; // a /30 inside 10.231.0.0/16
            var prefix = string.Create(CultureInfo.InvariantCulture, $"10.231.{subnet / 256}.");
            var hostAddress = prefix + ((subnet % 256) + 1).ToString(CultureInfo.InvariantCulture);
            var namespaceAddress = prefix + ((subnet % 256) + 2).ToString(CultureInfo.InvariantCulture);
            var name = string.Create(CultureInfo.InvariantCulture, $"{Prefix}{Environment.ProcessId}-{id}");
            if (inUse.Contains($" {hostAddress}/", StringComparison.Ordinal) || Directory.Exists($"/run/netns/{name}"))
            {
                if (attempt < 20)
                {
                    continue;
                }

                throw new InvalidOperationException("no free /30 in 10.231.0.0/16 after 20 tries");
            }

            var net = new NetworkNamespace(name, $"lnt{id}h", $"lnt{id}n", hostAddress, namespaceAddress,
                Directory.CreateTempSubdirectory("lilium-netns-").FullName);
            try
            {
                await IpAsync("netns", "add", name);
                await IpAsync("link", "add", net.HostLink, "type", "veth", "peer", "name", net.NamespaceLink, "netns", name);
                await IpAsync("addr", "add", hostAddress + "/30", "dev", net.HostLink);
                await IpAsync("link", "set", net.HostLink, "up");
                await IpAsync("-n", name, "addr", "add", namespaceAddress + "/30", "dev", net.NamespaceLink);
                await IpAsync("-n", name, "link", "set", net.NamespaceLink, "up");
                await IpAsync("-n", name, "link", "set", "lo", "up");
            }
            catch
            {
                await net.DisposeAsync();
                throw;
            }

            return net;
        }
    }

    /// <summary>Deletes namespaces named <see cref="Prefix"/>PID-N whose process PID is gone (earlier runs that crashed).</summary>
    public static async Task<int> RemoveStaleAsync()
    {
        var list = await RunAsync("ip", ["netns", "list"]);
        if (list.ExitCode != 0)
        {
            throw new InvalidOperationException($"ip netns list failed ({list.StdErr.Trim()}): network namespace tests need root (CAP_NET_ADMIN) and iproute2 (scripts/install-deps.sh)");
        }

        var removed = 0;
        foreach (Match m in StaleName().Matches(list.StdOut))
        {
            if (!Directory.Exists($"/proc/{m.Groups[2].Value}"))
            {
                await RunAsync("ip", ["netns", "del", m.Groups[1].Value]);
                await RunAsync("ip", ["link", "del", $"lnt{m.Groups[3].Value}h"]); // a pair never moved into it
                removed++;
            }
        }

        return removed;
    }

    /// <summary>A route inside the namespace to <paramref name="address"/> (another namespace's host end, say) through this pair.</summary>
    public Task RouteToAsync(string address) => IpAsync("-n", Name, "route", "replace", address + "/32", "via", HostAddress);

    /// <summary>
    /// Shapes the packets going <paramref name="direction"/> (replacing what was there): a rate limit with tbf, delay and
    /// loss with netem. Fails with a clear message when the kernel lacks the queueing discipline.
    /// </summary>
    public async Task ShapeAsync(LinkShape shape, LinkDirection direction = LinkDirection.IntoNamespace)
    {
        var args = shape.QdiscArguments();
        var result = await TcAsync(direction, ["qdisc", "replace", "dev", LinkFor(direction), "root", .. args]);
        if (result.ExitCode != 0)
        {
            var module = shape.NeedsNetem ? "sch_netem (CONFIG_NET_SCH_NETEM; Ubuntu: linux-modules-extra-$(uname -r))" : "sch_tbf (CONFIG_NET_SCH_TBF)";
            throw new InvalidOperationException(
                $"tc qdisc replace … {string.Join(' ', args)} failed: {result.StdErr.Trim()}. This kernel may lack {module}; try `modprobe {(shape.NeedsNetem ? "sch_netem" : "sch_tbf")}`.");
        }

        if (direction == LinkDirection.IntoNamespace)
        {
            IntoNamespaceShape = shape;
        }
        else
        {
            OutOfNamespaceShape = shape;
        }
    }

    /// <summary>Removes the shaping going <paramref name="direction"/> (the link is then as fast as the machine).</summary>
    public async Task LiftAsync(LinkDirection direction = LinkDirection.IntoNamespace)
    {
        var result = await TcAsync(direction, ["qdisc", "del", "dev", LinkFor(direction), "root"]);
        if (result.ExitCode != 0 && !result.StdErr.Contains("No such file", StringComparison.Ordinal)
            && !result.StdErr.Contains("Cannot delete qdisc with handle of zero", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"tc qdisc del dev {LinkFor(direction)} root failed: {result.StdErr.Trim()}");
        }

        if (direction == LinkDirection.IntoNamespace)
        {
            IntoNamespaceShape = null;
        }
        else
        {
            OutOfNamespaceShape = null;
        }
    }

    /// <summary>
    /// Drops <paramref name="percent"/> % of the UDP packets going <paramref name="direction"/>, at random, where they
    /// arrive (iptables' <c>statistic</c> match in the receiving side's INPUT chain), so the sender's socket sees no
    /// error — path loss for kernels without netem (this project's VM has tbf but no sch_netem). Removed with the
    /// namespace (the rule on the host's side is deleted by <see cref="DisposeAsync"/>).
    /// </summary>
    public async Task DropUdpAsync(double percent, LinkDirection direction)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(percent);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(percent, 100);
        string[] rule = ["INPUT", "-i", direction == LinkDirection.IntoNamespace ? NamespaceLink : HostLink, "-p", "udp", "-m", "statistic",
            "--mode", "random", "--probability", (percent / 100).ToString("0.######", System.Globalization.CultureInfo.InvariantCulture), "-j", "DROP"];
        var result = direction == LinkDirection.IntoNamespace
            ? await RunAsync("ip", ["netns", "exec", Name, "iptables", "-I", .. rule])
            : await RunAsync("iptables", ["-I", .. rule]);
        result.EnsureSuccess("iptables -I " + string.Join(' ', rule) + " (needs root and iptables: scripts/install-deps.sh)");
        if (direction == LinkDirection.OutOfNamespace)
        {
            _hostRules.Add(rule);
        }
    }

    /// <summary>
    /// Blocks every UDP packet between the namespace and the host's end of the pair (OUTPUT to and INPUT from
    /// <see cref="HostAddress"/>) in the namespace's own filter, so nothing of this machine's rules changes: a network
    /// where only TCP gets through. Removed with the namespace. (tc's drop action needs act_gact, which this VM's kernel
    /// lacks; netfilter is built in.)
    /// </summary>
    public async Task BlockUdpAsync()
    {
        string[][] rules = [["OUTPUT", "-p", "udp", "-d", HostAddress, "-j", "DROP"], ["INPUT", "-p", "udp", "-s", HostAddress, "-j", "DROP"]];
        foreach (var rule in rules)
        {
            (await ExecAsync("iptables", ["-A", .. rule])).EnsureSuccess("iptables -A " + string.Join(' ', rule) + " in " + Name + " (needs root and iptables: scripts/install-deps.sh)");
        }
    }

    /// <summary>UDP packets the DROP rules in the namespace's own filter (<see cref="BlockUdpAsync"/>, <see cref="DropUdpAsync"/> into it) matched so far.</summary>
    public async Task<long> DroppedUdpPacketsAsync()
    {
        long total = 0;
        foreach (var chain in new[] { "OUTPUT", "INPUT" })
        {
            var listing = (await ExecAsync("iptables", "-n", "-v", "-x", "-L", chain)).EnsureSuccess("iptables -L " + chain + " in " + Name).StdOut;
            foreach (Match m in DropRule().Matches(listing))
            {
                total += long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            }
        }

        return total;
    }

    /// <summary>The queueing discipline's counters (<c>tc -s qdisc show</c>): sent, dropped, overlimits, backlog.</summary>
    public async Task<string> QdiscStatsAsync(LinkDirection direction = LinkDirection.IntoNamespace) =>
        (await TcAsync(direction, ["-s", "qdisc", "show", "dev", LinkFor(direction)])).EnsureSuccess("tc -s qdisc show").StdOut;

    /// <summary>Runs a command inside the namespace.</summary>
    public Task<ProcessResult> ExecAsync(string command, params string[] args) => RunAsync("ip", ["netns", "exec", Name, command, .. args]);

    /// <summary>
    /// An executable script that runs <paramref name="chromium"/> inside the namespace with the arguments it is given:
    /// pass it as Playwright's executable path (Playwright talks to the browser over inherited pipes, which
    /// <c>ip netns exec</c> keeps).
    /// </summary>
    public string ChromiumWrapper(string chromium)
    {
        var path = Path.Combine(_directory, "chromium-in-" + Name);
        File.WriteAllText(path, $"#!/bin/sh\nexec ip netns exec {Name} {chromium} \"$@\"\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        return path;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var rule in _hostRules)
        {
            await RunAsync("iptables", ["-D", .. rule]);
        }

        await RunAsync("ip", ["netns", "del", Name]); // takes the pair, its addresses and qdiscs with it
        await RunAsync("ip", ["link", "del", HostLink]); // in case the pair was made but not moved
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private string LinkFor(LinkDirection direction) => direction == LinkDirection.IntoNamespace ? HostLink : NamespaceLink;

    private Task<ProcessResult> TcAsync(LinkDirection direction, string[] args) =>
        direction == LinkDirection.IntoNamespace ? RunAsync("tc", args) : RunAsync("ip", ["netns", "exec", Name, "tc", .. args]);

    private static async Task IpAsync(params string[] args)
    {
        var result = await RunAsync("ip", args);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"ip {string.Join(' ', args)} failed: {result.StdErr.Trim()} (network namespace tests need root — CAP_NET_ADMIN — and iproute2: scripts/install-deps.sh)");
        }
    }

    private static Task<ProcessResult> RunAsync(string command, IEnumerable<string> args) => ProcessRunner.RunAsync(command, args, CommandTimeout);

    [GeneratedRegex(@"^(lilium-nt-(\d+)-(\d+))\b", RegexOptions.Multiline)]
    private static partial Regex StaleName();

    // "    pkts      bytes target     prot ..." rows of DROP rules for UDP in `iptables -n -v -x -L`: the first column.
    [GeneratedRegex(@"^\s*(\d+)\s+\d+\s+DROP\s+(?:udp|17)\b", RegexOptions.Multiline)]
    private static partial Regex DropRule();
}
