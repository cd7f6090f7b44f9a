using System.Text.Json;
using Amazon.CDK.Assertions;

namespace Lilium.Infra.Tests;

/// <summary>The relay fleet's side of the template (issue 24, FLEET-CONTRACT §3 "CDK").</summary>
[Trait("Category", "Integration")]
[Collection(SynthesizedStack.Collection)]
public sealed class FleetTemplateTests(SynthesizedStack stack) : IClassFixture<SynthesizedStack>
{
    private string Id(string type) => Assert.Single(stack.OfType(type)).Id;

    private JsonElement Container => stack.OfType("AWS::ECS::TaskDefinition").Single().Properties.GetProperty("ContainerDefinitions")[0];

    private List<JsonElement> Statements(string roleId) =>
        stack.OfType("AWS::IAM::Policy")
            .Where(p => p.Properties.GetProperty("Roles").EnumerateArray().Any(r => r.TryGetProperty("Ref", out var id) && id.GetString() == roleId))
            .SelectMany(p => p.Properties.GetProperty("PolicyDocument").GetProperty("Statement").EnumerateArray())
            .ToList();

    private static bool Allows(JsonElement statement, string action) =>
        statement.GetProperty("Effect").GetString() == "Allow"
        && (statement.GetProperty("Action").ValueKind == JsonValueKind.Array
            ? statement.GetProperty("Action").EnumerateArray().Any(a => a.GetString() == action)
            : statement.GetProperty("Action").GetString() == action);

    [Fact]
    public void The_relay_heartbeats_into_the_connections_table()
    {
        var env = Container.GetProperty("Environment").EnumerateArray().ToDictionary(e => e.GetProperty("Name").GetString()!, e => e.GetProperty("Value"));
        Assert.Equal(Id("AWS::DynamoDB::Table"), env["CONNECTIONS_TABLE"].GetProperty("Ref").GetString());
        Assert.Equal("1000", env["RELAY_HEARTBEAT_MS"].GetString());
        Assert.True(env.ContainsKey("RELAY_STUN_SERVER")); // the fallback after the task metadata and EC2
    }

    [Fact]
    public void The_relay_task_role_may_write_only_registry_items_read_its_interface_and_protect_itself()
    {
        var taskDef = stack.OfType("AWS::ECS::TaskDefinition").Single().Properties;
        var statements = Statements(taskDef.GetProperty("TaskRoleArn").GetProperty("Fn::GetAtt")[0].GetString()!);
        var table = Id("AWS::DynamoDB::Table");

        var registry = Assert.Single(statements, st => Allows(st, "dynamodb:PutItem"));
        Assert.Contains($"\"{table}\"", registry.GetProperty("Resource").GetRawText(), StringComparison.Ordinal);
        var leading = registry.GetProperty("Condition").GetProperty("ForAllValues:StringEquals").GetProperty("dynamodb:LeadingKeys");
        Assert.Equal(["R#relays"], leading.ValueKind == JsonValueKind.Array ? leading.EnumerateArray().Select(e => e.GetString()!) : [leading.GetString()!]);
        Assert.DoesNotContain(statements, st => Allows(st, "dynamodb:Scan") || Allows(st, "dynamodb:*"));

        Assert.Single(statements, st => Allows(st, "ec2:DescribeNetworkInterfaces"));
        var protection = Assert.Single(statements, st => Allows(st, "ecs:UpdateTaskProtection"));
        Assert.Contains(":task/", protection.GetProperty("Resource").GetRawText(), StringComparison.Ordinal);
        Assert.Contains($"\"{Id("AWS::ECS::Cluster")}\"", protection.GetProperty("Resource").GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public void Api_signaling_and_the_sweeper_may_scale_the_relay_service_and_know_its_names()
    {
        var service = Id("AWS::ECS::Service");
        var functions = stack.OfType("AWS::Lambda::Function").Where(f => f.Properties.GetProperty("Handler").GetString() == "bootstrap").ToList();
        Assert.Equal(3, functions.Count);
        Assert.All(functions, f =>
        {
            var vars = f.Properties.GetProperty("Environment").GetProperty("Variables");
            Assert.Equal(Id("AWS::ECS::Cluster"), vars.GetProperty("RELAY_CLUSTER").GetProperty("Ref").GetString());
            Assert.Equal(service, vars.GetProperty("RELAY_SERVICE").GetProperty("Fn::GetAtt")[0].GetString());
            Assert.Equal("60", vars.GetProperty("RELAY_START_ESTIMATE_S").GetString());
            Assert.True(vars.TryGetProperty("CONNECTIONS_TABLE", out _)); // placement reads the registry
            var role = f.Properties.GetProperty("Role").GetProperty("Fn::GetAtt")[0].GetString()!;
            var scale = Assert.Single(Statements(role), st => Allows(st, "ecs:UpdateService"));
            Assert.True(Allows(scale, "ecs:DescribeServices"));
            Assert.Equal(service, scale.GetProperty("Resource").GetProperty("Ref").GetString());
        });
    }

    [Fact]
    public void A_stopped_relay_task_runs_the_sweep_at_once()
    {
        var sweeper = stack.OfType("AWS::Lambda::Function")
            .Single(f => f.Properties.TryGetProperty("Environment", out var env)
                && env.GetProperty("Variables").TryGetProperty("LILIUM_HANDLER", out var h) && h.GetString() == "sweep");
        stack.Template.HasResourceProperties("AWS::Events::Rule", new Dictionary<string, object>
        {
            ["EventPattern"] = new Dictionary<string, object>
            {
                ["source"] = new[] { "aws.ecs" },
                ["detail-type"] = new[] { "ECS Task State Change" },
                ["detail"] = new Dictionary<string, object>
                {
                    ["clusterArn"] = new object[] { new Dictionary<string, object> { ["Fn::GetAtt"] = new object[] { Id("AWS::ECS::Cluster"), "Arn" } } },
                    ["lastStatus"] = new[] { "STOPPED" },
                },
            },
            ["Targets"] = Match.ArrayWith([Match.ObjectLike(new Dictionary<string, object>
            {
                ["Arn"] = new Dictionary<string, object> { ["Fn::GetAtt"] = new object[] { sweeper.Id, "Arn" } },
            })]),
        });
    }

    [Fact]
    public void Relay_tasks_reach_each_other_on_the_http_port_and_the_load_balancer_checks_every_5_s()
    {
        var taskSg = stack.OfType("AWS::EC2::SecurityGroup").Single(g => g.Properties.GetProperty("GroupDescription").GetString()!.StartsWith("Relay tasks", StringComparison.Ordinal)).Id;
        Assert.Contains(stack.OfType("AWS::EC2::SecurityGroupIngress"), r =>
            r.Properties.GetProperty("FromPort").GetInt32() == 8080
            && r.Properties.GetProperty("GroupId").GetProperty("Fn::GetAtt")[0].GetString() == taskSg
            && r.Properties.GetProperty("SourceSecurityGroupId").GetProperty("Fn::GetAtt")[0].GetString() == taskSg);
        stack.Template.HasResourceProperties("AWS::ElasticLoadBalancingV2::TargetGroup", Match.ObjectLike(new Dictionary<string, object>
        {
            ["HealthCheckPath"] = "/health",
            ["HealthCheckIntervalSeconds"] = 5,
            ["HealthyThresholdCount"] = 2,
        }));
    }
}
