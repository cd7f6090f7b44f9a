using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Lilium.Auth;
using Lilium.Testing;
using Lilium.Testing.WebRtc;

namespace Lilium.Infra.Tests;

/// <summary>
/// <c>scripts/relay-image.sh</c>, end to end and without Docker: the image is built once (<see cref="RelayImageFixture"/>),
/// unpacked with <c>umoci unpack --rootless</c>, and its entrypoint run by bubblewrap with the unpacked root filesystem as
/// <c>/</c> (nothing of the host's is mounted but /proc and /dev), as the image's user, with its environment and working
/// directory (umoci's runtime-spec config.json, what runc would be given). A publisher then completes WHIP, ICE and
/// DTLS against it, which needs the image's libc and OpenSSL (HMAC for the grant, the DTLS-SRTP keys), and, in the
/// Native AOT build (the default; <c>RELAY_BUILD=jit</c> builds the JIT image), BouncyCastle's DTLS compiled natively.
/// Then <c>push</c> resolves the stack's repository from its outputs and copies the image to a local registry (the
/// distribution registry, a plain process), and the manifest read back has the layout's digest.
/// </summary>
[Trait("Category", "Integration")]
public sealed class RelayImageTests(RelayImageFixture image, AwsEndpointFixture endpoint)
    : IClassFixture<RelayImageFixture>, IClassFixture<AwsEndpointFixture>
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    [Fact]
    public void The_image_config_runs_the_relay_as_a_non_root_user_and_names_its_ports_and_revision()
    {
        var config = image.Config.GetProperty("config");
        Assert.Equal("1654:1654", config.GetProperty("User").GetString());
        Assert.Equal(new[] { "/app/Lilium.Relay" }, config.GetProperty("Entrypoint").EnumerateArray().Select(e => e.GetString()).ToArray());
        Assert.Equal(new[] { "443/tcp", "7882/udp", "8080/tcp" }, config.GetProperty("ExposedPorts").EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal).ToArray());
        Assert.Equal(image.Revision, config.GetProperty("Labels").GetProperty("org.opencontainers.image.revision").GetString());

        // Base and app are separate layers, so an app rebuild reuses the base blob.
        Assert.Equal(2, image.Layers.Count);
    }

    [Fact]
    public async Task The_relay_executable_may_bind_443_as_the_non_root_user_and_nothing_more()
    {
        // The app layer's PAX record for /app/Lilium.Relay carries security.capability: VFS_CAP_REVISION_2 with the
        // effective flag, and cap_net_bind_service (bit 10) as the only permitted capability, none inheritable.
        await using var layer = new System.IO.Compression.GZipStream(File.OpenRead(image.Blob(image.Layers[1])), System.IO.Compression.CompressionMode.Decompress);
        using var tar = new System.Formats.Tar.TarReader(layer);
        byte[]? capability = null;
        while (await tar.GetNextEntryAsync() is { } entry)
        {
            if (entry.Name.TrimStart('.', '/') == "app/Lilium.Relay" && entry is System.Formats.Tar.PaxTarEntry pax
                && pax.ExtendedAttributes.TryGetValue("SCHILY.xattr.security.capability", out var value))
            {
                capability = System.Text.Encoding.Latin1.GetBytes(value);
            }
        }

        Assert.NotNull(capability);
        Assert.Equal(20, capability.Length);
        Assert.Equal(0x02000001u, System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(capability));
        Assert.Equal(1u << 10, System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(capability.AsSpan(4)));
        Assert.All(new[] { 8, 12, 16 }, at => Assert.Equal(0u, System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(capability.AsSpan(at))));
    }

    [Fact]
    public async Task The_relay_runs_from_the_image_root_filesystem_alone_and_completes_a_dtls_handshake()
    {
        var bundle = Path.Combine(image.WorkDirectory, "bundle-" + Guid.NewGuid().ToString("N")[..8]);
        (await ProcessRunner.RunAsync("umoci", ["unpack", "--rootless", "--image", $"{image.Layout}:latest", bundle], TimeSpan.FromMinutes(2)))
            .EnsureSuccess("umoci unpack");
        var rootfs = Path.Combine(bundle, "rootfs");
        Assert.True(File.Exists(Path.Combine(rootfs, "app", "Lilium.Relay")), "the app layer has no /app/Lilium.Relay");
        Assert.False(File.Exists(Path.Combine(rootfs, "bin", "sh")), "the image should carry no shell");
        Assert.True(File.Exists(Path.Combine(rootfs, "usr", "lib", "x86_64-linux-gnu", "libssl.so.3")), "the base layer has no libssl.so.3");
        if (RelayImageFixture.Build == "aot")
        {
            // One native executable: no runtime, no managed assemblies, and no C++ runtime in the base layer.
            Assert.False(File.Exists(Path.Combine(rootfs, "app", "libcoreclr.so")), "the app layer carries a .NET runtime: not the Native AOT build");
            Assert.Empty(Directory.GetFiles(Path.Combine(rootfs, "app"), "*.dll"));
            Assert.False(File.Exists(Path.Combine(rootfs, "usr", "lib", "x86_64-linux-gnu", "libstdc++.so.6")), "the Native AOT image needs no libstdc++");
        }

        using var spec = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(bundle, "config.json")));
        var process = spec.RootElement.GetProperty("process");
        var user = process.GetProperty("user");
        Assert.Equal(1654, user.GetProperty("uid").GetInt32());

        var key = RandomNumberGenerator.GetBytes(32);
        var httpPort = Ports.FreeTcp();
        var mediaPort = Ports.FreeUdp();
        // What the stack's task definition sets on top of the image's environment, with loopback and free ports.
        var overrides = new Dictionary<string, string>
        {
            ["RELAY_KEY"] = Convert.ToBase64String(key),
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{httpPort}",
            ["RELAY_MEDIA_PORT"] = mediaPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            // The image's 443 needs the executable's file capability, which a rootless unpack cannot restore (that part is
            // The_relay_executable_may_bind_443_as_the_non_root_user_and_nothing_more and PrivilegedPortTests).
            ["RELAY_TCP_PORT"] = Ports.FreeTcp().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["RELAY_BIND_ADDRESS"] = "127.0.0.1",
            ["RELAY_PUBLIC_IP"] = "127.0.0.1",
        };

        var args = new List<string>
        {
            "--bind", rootfs, "/", "--proc", "/proc", "--dev", "/dev",
            "--unshare-user", "--uid", user.GetProperty("uid").GetInt32().ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--gid", user.GetProperty("gid").GetInt32().ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--die-with-parent", "--clearenv",
        };
        var environment = process.GetProperty("env").EnumerateArray().Select(e => e.GetString()!.Split('=', 2)).ToDictionary(kv => kv[0], kv => kv[1]);
        Assert.Equal("0.0.0.0", environment["RELAY_BIND_ADDRESS"]);
        foreach (var (name, value) in environment.Where(e => !overrides.ContainsKey(e.Key)).Concat(overrides))
        {
            args.AddRange(["--setenv", name, value]);
        }

        args.AddRange(["--chdir", process.GetProperty("cwd").GetString()!, "--"]);
        args.AddRange(process.GetProperty("args").EnumerateArray().Select(a => a.GetString()!));

        using var relay = BackgroundProcess.Start("bwrap", args);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var baseUrl = new Uri($"http://127.0.0.1:{httpPort}/");
        await relay.WaitForHttpOkAsync(http, new Uri(baseUrl, "health"), StartTimeout, "the relay in its image");

        var session = Guid.NewGuid();
        var now = DateTimeOffset.UtcNow;
        var grant = new TokenCodec(TokenKind.Relay, key).Issue(new RelayGrantClaims
        {
            Subject = Guid.NewGuid(),
            IssuedAt = now.ToUnixTimeSeconds(),
            ExpiresAt = now.AddMinutes(5).ToUnixTimeSeconds(),
            SessionId = session,
            Role = RelayRole.Host,
        });
        var publisher = await RelayTestPeer.ConnectAsync(http, new Uri(baseUrl, $"whip/{session}"), grant, new IPEndPoint(IPAddress.Loopback, mediaPort), publisher: true);
        publisher.Socket.Dispose();

        using var health = JsonDocument.Parse(await http.GetStringAsync(new Uri(baseUrl, "health")));
        Assert.Equal(1, health.RootElement.GetProperty("sessions").GetInt32());
        Assert.False(relay.HasExited, relay.Output);
    }

    [Fact]
    public async Task Push_copies_the_image_to_the_stacks_repository_and_the_registry_serves_the_same_manifest()
    {
        var missing = await ProcessRunner.RunAsync("bash", [Path.Combine(RepoPaths.Scripts, "relay-image.sh"), "push", "127.0.0.1:1/x", "--layout", Path.Combine(image.WorkDirectory, "nothing")]);
        Assert.NotEqual(0, missing.ExitCode);
        Assert.Contains("no OCI image layout", missing.StdErr, StringComparison.Ordinal);

        var port = Ports.FreeTcp();
        var registryRoot = Path.Combine(image.WorkDirectory, "registry-" + port);
        Directory.CreateDirectory(registryRoot);
        var registryConfig = Path.Combine(registryRoot, "config.yml");
        await File.WriteAllTextAsync(registryConfig, $"""
            version: 0.1
            log:
              level: warn
            storage:
              filesystem:
                rootdirectory: {Path.Combine(registryRoot, "data")}
            http:
              addr: 127.0.0.1:{port}
            """);
        using var registry = BackgroundProcess.Start("docker-registry", ["serve", registryConfig]);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        await registry.WaitForHttpOkAsync(http, new Uri($"http://127.0.0.1:{port}/v2/"), StartTimeout, "docker-registry");

        // A stack whose RelayRepositoryUri output names the local registry; push finds it through the outputs.
        var stack = "image-" + Guid.NewGuid().ToString("N")[..10];
        var repository = $"127.0.0.1:{port}/lilium/relay";
        var template = JsonSerializer.Serialize(new
        {
            Resources = new { Handle = new { Type = "AWS::CloudFormation::WaitConditionHandle" } },
            Outputs = new { RelayRepositoryUri = new { Value = repository } },
        });
        var aws = endpoint.Environment;
        (await ProcessRunner.RunAsync("aws", ["cloudformation", "create-stack", "--stack-name", stack, "--template-body", template], environment: aws))
            .EnsureSuccess("aws cloudformation create-stack");
        try
        {
            var env = new Dictionary<string, string?>(aws) { ["LILIUM_STACK"] = stack, ["RELAY_IMAGE_TLS_VERIFY"] = "false" };
            var push = (await ProcessRunner.RunAsync("bash", [Path.Combine(RepoPaths.Scripts, "relay-image.sh"), "push", "--layout", image.Layout], TimeSpan.FromMinutes(3), environment: env))
                .EnsureSuccess("relay-image.sh push");
            Assert.Contains($"digest {image.ManifestDigest}", push.StdOut, StringComparison.Ordinal);

            var inspect = (await ProcessRunner.RunAsync("skopeo", ["inspect", "--tls-verify=false", $"docker://{repository}:latest"], TimeSpan.FromMinutes(1)))
                .EnsureSuccess("skopeo inspect");
            using var remote = JsonDocument.Parse(inspect.StdOut);
            Assert.Equal(image.ManifestDigest, remote.RootElement.GetProperty("Digest").GetString());
            Assert.Equal(image.Layers, remote.RootElement.GetProperty("Layers").EnumerateArray().Select(l => l.GetString()!).ToList());
        }
        finally
        {
            await ProcessRunner.RunAsync("aws", ["cloudformation", "delete-stack", "--stack-name", stack], environment: aws);
        }
    }
}

/// <summary>Builds the relay image once per test class with <c>scripts/relay-image.sh build</c> into a temporary folder.</summary>
public sealed class RelayImageFixture : IAsyncLifetime
{
    // What CI installs (scripts/install-deps.sh); a missing one fails the tests, it does not skip them.
    private static readonly string[] Tools = ["umoci", "skopeo", "bwrap", "docker-registry", "dpkg-deb", "apt-get", "aws"];

    /// <summary>The build the image carries: <c>aot</c> unless <c>RELAY_BUILD=jit</c>, as for <c>make relay-image</c>.</summary>
    public static string Build => Environment.GetEnvironmentVariable("RELAY_BUILD") is { Length: > 0 } b ? b : "aot";

    public string WorkDirectory { get; } = Directory.CreateTempSubdirectory("lilium-relay-image-").FullName;

    public string Layout => Path.Combine(WorkDirectory, "layout");

    public string ManifestDigest { get; private set; } = "";

    /// <summary>The layout's file for a blob digest (sha256:…).</summary>
    public string Blob(string digest) => Path.Combine(Layout, "blobs", digest.Replace(':', Path.DirectorySeparatorChar));

    public IReadOnlyList<string> Layers { get; private set; } = [];

    public JsonElement Config { get; private set; }

    public string Revision { get; private set; } = "";

    public async Task InitializeAsync()
    {
        var path = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':');
        var missing = Tools.Where(t => !path.Any(dir => File.Exists(Path.Combine(dir, t)))).ToList();
        if (missing.Count > 0)
        {
            throw new InvalidOperationException($"{string.Join(", ", missing)} not found on PATH; 'make deps' (scripts/install-deps.sh) installs them.");
        }

        // A first Native AOT compile of the relay takes about 5 minutes on two busy cores (make test publishes it first,
        // make relay-bin, so this one finds it compiled); three start-to-ready runs keep the fixture short.
        // amd64: the tests run the image's root filesystem on this (x64) machine. The stack's image is the same script with
        // RELAY_ARCH=arm64 (its default): other packages and a cross-published executable, the same layers and config.
        var build = (await ProcessRunner.RunAsync("bash", [Path.Combine(RepoPaths.Scripts, "relay-image.sh"), "build", Layout], TimeSpan.FromMinutes(15),
                environment: new Dictionary<string, string?>
                {
                    ["RELAY_ARCH"] = "amd64",
                    ["RELAY_READY_RUNS"] = "3",
                    ["RELAY_IMAGE_RESULTS"] = Path.Combine(WorkDirectory, "relay-image.json"),
                }))
            .EnsureSuccess("relay-image.sh build");
        Revision = (await ProcessRunner.RunAsync("git", ["rev-parse", "HEAD"])).EnsureSuccess("git rev-parse").StdOut.Trim();

        using var index = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(Layout, "index.json")));
        ManifestDigest = index.RootElement.GetProperty("manifests")[0].GetProperty("digest").GetString()!;
        Assert.Contains($"digest {ManifestDigest}", build.StdOut, StringComparison.Ordinal);

        // The layout's blobs are named by their content: check that they are.
        var manifestBytes = await File.ReadAllBytesAsync(Blob(ManifestDigest));
        Assert.Equal(ManifestDigest, "sha256:" + Convert.ToHexStringLower(SHA256.HashData(manifestBytes)));
        using var manifest = JsonDocument.Parse(manifestBytes);
        Layers = manifest.RootElement.GetProperty("layers").EnumerateArray().Select(l => l.GetProperty("digest").GetString()!).ToList();
        using var config = JsonDocument.Parse(await File.ReadAllTextAsync(Blob(manifest.RootElement.GetProperty("config").GetProperty("digest").GetString()!)));
        Config = config.RootElement.Clone();
    }

    public Task DisposeAsync()
    {
        Directory.Delete(WorkDirectory, recursive: true);
        return Task.CompletedTask;
    }
}
