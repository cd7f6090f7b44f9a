using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Amazon.Runtime;
using Lilium.Auth;
using Lilium.Fleet;
using Lilium.Relay.Fleet;
using Lilium.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Lilium.Relay.Tests;

/// <summary>
/// Address discovery (issue 24 item 6): a loopback stand-in for the ECS task metadata endpoint v4 and the :4566
/// endpoint's EC2 (an interface with an Elastic IP made by boto3); a relay that learns nothing is never ready.
/// </summary>
[Trait("Category", "Integration")]
public sealed class AddressDiscoveryTests(AwsEndpointFixture aws) : IClassFixture<AwsEndpointFixture>
{
    private Dictionary<string, string> Aws(string? table = null)
    {
        var settings = new Dictionary<string, string>
        {
            ["AWS_ENDPOINT_URL"] = aws.Endpoint.ToString(),
            ["AWS_REGION"] = AwsEndpointFixture.Region,
            ["AWS_ACCESS_KEY_ID"] = AwsEndpointFixture.AccessKeyId,
            ["AWS_SECRET_ACCESS_KEY"] = AwsEndpointFixture.SecretAccessKey,
            ["RELAY_HEARTBEAT_MS"] = "200",
        };
        if (table is not null)
        {
            settings["CONNECTIONS_TABLE"] = table;
        }

        return settings;
    }

    private async Task<RelayRegistry> RegistryAsync()
    {
        var dynamo = DynamoDbClients.Create(aws.Endpoint.ToString(), new BasicAWSCredentials(AwsEndpointFixture.AccessKeyId, AwsEndpointFixture.SecretAccessKey), AwsEndpointFixture.Region);
        var registry = new RelayRegistry(dynamo, "connections-" + Guid.NewGuid().ToString("N")[..12], TimeProvider.System);
        await registry.EnsureTableAsync();
        return registry;
    }

    /// <summary>Serves <c>/task</c> as Fargate does, once <paramref name="release"/> completes.</summary>
    private static async Task<WebApplication> MetadataEndpointAsync(string taskArn, string privateIp, string mac, Task? release = null)
    {
        var app = LoopbackWebApp.Create();
        app.MapGet("/v4/abc/task", async () =>
        {
            if (release is not null)
            {
                await release;
            }

            return Results.Text($$"""
                {"Cluster":"arn:aws:ecs:us-east-1:000000000000:cluster/lilium","TaskARN":"{{taskArn}}","Family":"relay","Revision":"3",
                 "DesiredStatus":"RUNNING","KnownStatus":"RUNNING","LaunchType":"FARGATE","AvailabilityZone":"us-east-1a",
                 "Containers":[{"DockerId":"x","Name":"relay","Networks":[{"NetworkMode":"awsvpc","IPv4Addresses":["{{privateIp}}"],
                 "AttachmentIndex":0,"MACAddress":"{{mac}}","IPv4SubnetCIDRBlock":"10.0.0.0/24","PrivateDNSName":"ip-x.ec2.internal"}]}]}
                """, "application/json");
        });
        await app.StartAsync();
        return app;
    }

    private async Task<(string PrivateIp, string Mac, string PublicIp)> InterfaceWithElasticIpAsync()
    {
        var net = $"10.{Random.Shared.Next(200, 250)}.{Random.Shared.Next(0, 256)}";
        var vpc = (await Boto3Async("create_vpc", new { CidrBlock = net + ".0/24" })).GetProperty("Vpc").GetProperty("VpcId").GetString();
        var subnet = (await Boto3Async("create_subnet", new { VpcId = vpc, CidrBlock = net + ".0/24" })).GetProperty("Subnet").GetProperty("SubnetId").GetString();
        var eni = (await Boto3Async("create_network_interface", new { SubnetId = subnet, PrivateIpAddress = net + ".20" })).GetProperty("NetworkInterface");
        var allocation = await Boto3Async("allocate_address", new { Domain = "vpc" });
        await Boto3Async("associate_address", new { AllocationId = allocation.GetProperty("AllocationId").GetString(), NetworkInterfaceId = eni.GetProperty("NetworkInterfaceId").GetString() });
        return (net + ".20", eni.GetProperty("MacAddress").GetString()!, allocation.GetProperty("PublicIp").GetString()!);
    }

    private async Task<JsonElement> Boto3Async(string operation, object parameters)
    {
        var script = "import boto3, json, sys; r = getattr(boto3.client('ec2'), sys.argv[1])(**json.loads(sys.argv[2])); r.pop('ResponseMetadata', None); print(json.dumps(r, default=str))";
        var result = await ProcessRunner.RunAsync("python3", ["-c", script, operation, JsonSerializer.Serialize(parameters)], TimeSpan.FromMinutes(1), environment: aws.Environment);
        return JsonDocument.Parse(result.EnsureSuccess("boto3 ec2." + operation).StdOut).RootElement.Clone();
    }

    [Fact]
    public async Task On_fargate_the_task_metadata_and_its_interface_give_id_and_public_ip()
    {
        var (privateIp, mac, publicIp) = await InterfaceWithElasticIpAsync();
        var release = new TaskCompletionSource();
        await using var metadata = await MetadataEndpointAsync("arn:aws:ecs:us-east-1:000000000000:task/lilium/0f1e2d3c4b5a69788796a5b4c3d2e1f0", privateIp, mac, release.Task);
        var registry = await RegistryAsync();
        var settings = Aws(registry.TableName);
        settings["ECS_CONTAINER_METADATA_URI_V4"] = metadata.Urls.First() + "/v4/abc";
        settings["RELAY_PRIVATE_URL"] = "http://127.0.0.1:1/"; // the task's private IP is not this machine's
        var relay = new RelayFixture(o => o.PublicIp = "192.0.2.99", settings); // metadata wins over configuration
        await relay.InitializeAsync();
        try
        {
            // While the metadata endpoint has not answered: starting, not ready, nothing registered, offers refused.
            await AssertHealthAsync(relay, HttpStatusCode.ServiceUnavailable, "starting");
            Assert.Empty(await registry.ListAsync());
            var session = Guid.NewGuid();
            using (var early = await PostAsync(relay, session))
            {
                await FleetRelayTests.AssertUnavailableAsync(early);
            }

            release.SetResult();
            await FleetRelayTests.WaitForAsync(async () => (await HealthAsync(relay)).Status == "ready", "ready after the metadata answered");
            var health = await HealthAsync(relay);
            Assert.Equal("0f1e2d3c4b5a69788796a5b4c3d2e1f0", health.RelayId);

            using var answer = await PostAsync(relay, session);
            Assert.Equal(HttpStatusCode.Created, answer.StatusCode);
            Assert.Contains($" {publicIp} {relay.MediaEndPoint.Port} typ host", await answer.Content.ReadAsStringAsync(), StringComparison.Ordinal);

            await FleetRelayTests.WaitForAsync(async () => await registry.GetAsync(health.RelayId) is not null, "registered under the task id");
            var item = (await registry.GetAsync(health.RelayId))!;
            Assert.Equal($"{publicIp}:{relay.MediaEndPoint.Port}", item.MediaAddress);
            Assert.Equal("arn:aws:ecs:us-east-1:000000000000:task/lilium/0f1e2d3c4b5a69788796a5b4c3d2e1f0", item.TaskArn);
        }
        finally
        {
            await relay.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_relay_that_learns_no_address_never_reports_ready_and_never_registers()
    {
        // Loopback bind, no RELAY_PUBLIC_IP, a STUN server that does not answer, a metadata endpoint that answers 500:
        // before issue 24 this relay advertised 127.0.0.1 and said "ok".
        var silentStun = Ports.FreeUdp();
        await using var broken = LoopbackWebApp.Create();
        broken.MapGet("/v4/abc/task", () => Results.StatusCode(500));
        await broken.StartAsync();
        var registry = await RegistryAsync();
        var settings = Aws(registry.TableName);
        settings["ECS_CONTAINER_METADATA_URI_V4"] = broken.Urls.First() + "/v4/abc";
        var relay = new RelayFixture(o =>
        {
            o.PublicIp = null;
            o.StunServer = $"127.0.0.1:{silentStun}";
        }, settings);
        await relay.InitializeAsync();
        try
        {
            await FleetRelayTests.WaitForAsync(async () => (await HealthAsync(relay)).Status == "no-address", "no-address", TimeSpan.FromSeconds(15));
            for (var i = 0; i < 10; i++)
            {
                await AssertHealthAsync(relay, HttpStatusCode.ServiceUnavailable, "no-address");
                await Task.Delay(100);
            }

            Assert.Empty(await registry.ListAsync());
            var session = Guid.NewGuid();
            using var refused = await PostAsync(relay, session);
            await FleetRelayTests.AssertUnavailableAsync(refused);
        }
        finally
        {
            await relay.DisposeAsync();
        }
    }

    [Fact]
    public async Task Loopback_is_advertised_only_when_configured_outright()
    {
        Assert.Null(AddressDiscoveryService.FromConfiguration(new RelayOptions { BindAddress = "127.0.0.1" }));
        Assert.Null(AddressDiscoveryService.FromConfiguration(new RelayOptions { BindAddress = "0.0.0.0" }));
        Assert.Equal(IPAddress.Loopback, AddressDiscoveryService.FromConfiguration(new RelayOptions { PublicIp = "127.0.0.1" })!.Value.Address);
        Assert.Equal(IPAddress.Parse("10.1.2.3"), AddressDiscoveryService.FromConfiguration(new RelayOptions { BindAddress = "10.1.2.3" })!.Value.Address);
        var error = Assert.Throws<InvalidOperationException>(() => AddressDiscoveryService.FromConfiguration(new RelayOptions { PublicIp = "relay.example" }));
        Assert.Contains("RELAY_PUBLIC_IP", error.Message, StringComparison.Ordinal);
        await Task.CompletedTask;
    }

    [Theory]
    [InlineData("")]
    [InlineData("null")]
    [InlineData("[]")]
    [InlineData("{\"TaskARN\":5}")]
    [InlineData("{\"TaskARN\":\"arn:aws:ecs:r:a:task/c/\"}")]
    [InlineData("{\"Containers\":[]}")]
    [InlineData("{\"TaskARN\":\"arn:aws:ecs:r:a:task/c/id\",\"Containers\":[{\"Networks\":[{\"IPv4Addresses\":[\"not-an-ip\"]}]}]}")]
    public void Hostile_task_metadata_is_no_metadata_or_no_address(string json)
    {
        var parsed = TaskMetadata.TryParse(Encoding.UTF8.GetBytes(json));
        Assert.True(parsed is null || parsed.PrivateIp is null);
    }

    private static async Task<HttpResponseMessage> PostAsync(RelayFixture relay, Guid session)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, relay.Whip(session)) { Content = new StringContent(TestOffers.Publisher(), Encoding.UTF8, "application/sdp") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", relay.Grant(session, RelayRole.Host));
        return await relay.Http.SendAsync(request);
    }

    private static async Task<(string Status, string RelayId)> HealthAsync(RelayFixture relay)
    {
        using var response = await relay.Http.GetAsync(new Uri(relay.BaseUri, "/health"));
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return (json.RootElement.GetProperty("status").GetString()!, json.RootElement.GetProperty("relayId").GetString()!);
    }

    private static async Task AssertHealthAsync(RelayFixture relay, HttpStatusCode code, string status)
    {
        using var response = await relay.Http.GetAsync(new Uri(relay.BaseUri, "/health"));
        Assert.Equal(code, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(status, json.RootElement.GetProperty("status").GetString());
    }
}
