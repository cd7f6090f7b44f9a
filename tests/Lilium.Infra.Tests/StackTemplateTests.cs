using System.Text.Json;
using Amazon.CDK.Assertions;
using Lilium.Protocol.Signaling;

namespace Lilium.Infra.Tests;

[Trait("Category", "Integration")]
public sealed class StackTemplateTests(SynthesizedStack stack) : IClassFixture<SynthesizedStack>
{
    [Theory]
    [InlineData("AWS::EC2::VPC", 1)]
    [InlineData("AWS::EC2::NatGateway", 0)]
    [InlineData("AWS::RDS::DBCluster", 1)]
    [InlineData("AWS::DynamoDB::Table", 1)]
    [InlineData("AWS::ApiGatewayV2::Api", 2)]
    [InlineData("AWS::ECS::Cluster", 1)]
    [InlineData("AWS::ECS::Service", 1)]
    [InlineData("AWS::ElasticLoadBalancingV2::LoadBalancer", 1)]
    [InlineData("AWS::CloudWatch::Dashboard", 1)]
    [InlineData("AWS::CloudWatch::Alarm", 4)]
    public void Every_part_is_present(string type, int count) => stack.Template.ResourceCountIs(type, count);

    [Fact]
    public void Both_lambdas_use_the_custom_runtime_in_the_vpc()
    {
        var functions = stack.OfType("AWS::Lambda::Function").Where(f => f.Properties.GetProperty("Handler").GetString() == "bootstrap").ToList();
        Assert.Equal(2, functions.Count);
        Assert.All(functions, f =>
        {
            Assert.Equal("provided.al2023", f.Properties.GetProperty("Runtime").GetString());
            Assert.True(f.Properties.TryGetProperty("VpcConfig", out _));
        });
    }

    [Fact]
    public void Only_the_media_port_and_the_load_balancer_are_open_to_the_world()
    {
        var open = new List<(string Protocol, int From, int To)>();
        void Collect(JsonElement rule)
        {
            if (rule.TryGetProperty("CidrIp", out var cidr) && cidr.ValueKind == JsonValueKind.String && cidr.GetString() == "0.0.0.0/0"
                || rule.TryGetProperty("CidrIpv6", out var v6) && v6.ValueKind == JsonValueKind.String && v6.GetString() == "::/0")
            {
                open.Add((rule.GetProperty("IpProtocol").GetString()!, rule.GetProperty("FromPort").GetInt32(), rule.GetProperty("ToPort").GetInt32()));
            }
        }

        foreach (var (_, p) in stack.OfType("AWS::EC2::SecurityGroup"))
        {
            if (p.ValueKind == JsonValueKind.Object && p.TryGetProperty("SecurityGroupIngress", out var rules))
            {
                foreach (var rule in rules.EnumerateArray())
                {
                    Collect(rule);
                }
            }
        }

        foreach (var (_, p) in stack.OfType("AWS::EC2::SecurityGroupIngress"))
        {
            Collect(p);
        }

        Assert.Equal([("tcp", 80, 80), ("udp", 7882, 7882)], open.Order().ToList());
    }

    [Fact]
    public void The_database_is_private_and_encrypted_and_reachable_only_from_the_lambdas()
    {
        stack.Template.HasResourceProperties("AWS::RDS::DBCluster", Match.ObjectLike(new Dictionary<string, object>
        {
            ["StorageEncrypted"] = true,
            ["ServerlessV2ScalingConfiguration"] = Match.ObjectLike(new Dictionary<string, object> { ["MinCapacity"] = 0 }),
        }));
        foreach (var (_, p) in stack.OfType("AWS::RDS::DBInstance"))
        {
            Assert.False(p.TryGetProperty("PubliclyAccessible", out var pub) && pub.GetBoolean());
        }

        // One rule, from the Lambdas' security group (both functions share it); never from an address range.
        var postgresRules = stack.OfType("AWS::EC2::SecurityGroupIngress").Where(r => r.Properties.GetProperty("FromPort").GetInt32() == 5432).ToList();
        var rule = Assert.Single(postgresRules);
        Assert.True(rule.Properties.TryGetProperty("SourceSecurityGroupId", out _));
        Assert.False(rule.Properties.TryGetProperty("CidrIp", out _));
    }

    [Fact]
    public void The_signaling_function_gets_every_setting_its_entry_point_reads()
    {
        // functions/Lilium.Signaling/Program.cs: keys and database by secret ARN, the table, the @connections endpoint,
        // and the relay URL handed to admitted viewers.
        var names = stack.OfType("AWS::Lambda::Function")
            .Select(f => f.Properties.TryGetProperty("Environment", out var env) ? env.GetProperty("Variables").EnumerateObject().Select(v => v.Name).ToHashSet() : [])
            .Single(vars => vars.Contains("CONNECTIONS_TABLE"));
        Assert.Superset(new HashSet<string> { "TOKEN_KEYS_SECRET_ARN", "DB_SECRET_ARN", "CONNECTIONS_TABLE", "WS_MANAGEMENT_ENDPOINT", "RELAY_URL" }, names);
    }

    [Fact]
    public void Secrets_are_never_plain_text_in_the_template_or_environments()
    {
        foreach (var (_, p) in stack.OfType("AWS::Lambda::Function"))
        {
            if (!p.TryGetProperty("Environment", out var env))
            {
                continue;
            }

            foreach (var variable in env.GetProperty("Variables").EnumerateObject())
            {
                Assert.DoesNotContain(variable.Name, new[] { "TOKEN_KEYS", "DATABASE_URL", "DB_PASSWORD", "RELAY_KEY" });
            }
        }

        var container = stack.OfType("AWS::ECS::TaskDefinition").Single().Properties.GetProperty("ContainerDefinitions")[0];
        Assert.Contains(container.GetProperty("Secrets").EnumerateArray(), s => s.GetProperty("Name").GetString() == "TOKEN_KEYS");
        Assert.DoesNotContain(container.GetProperty("Environment").EnumerateArray(), e => e.GetProperty("Name").GetString() is "TOKEN_KEYS" or "RELAY_KEY");
        Assert.DoesNotContain("MasterUserPassword\":\"", stack.Json, StringComparison.Ordinal);
        stack.Template.HasResourceProperties("AWS::RDS::DBCluster", Match.ObjectLike(new Dictionary<string, object>
        {
            ["MasterUserPassword"] = Match.ObjectLike(new Dictionary<string, object> { ["Fn::Join"] = Match.AnyValue() }),
        }));
    }

    [Fact]
    public void Every_log_group_has_a_retention()
    {
        var groups = stack.OfType("AWS::Logs::LogGroup").ToList();
        Assert.True(groups.Count >= 5);
        Assert.All(groups, g => Assert.Equal(14, g.Properties.GetProperty("RetentionInDays").GetInt32()));
    }

    [Fact]
    public void Both_api_stages_are_throttled_and_logged()
    {
        var stages = stack.OfType("AWS::ApiGatewayV2::Stage").ToList();
        Assert.Equal(2, stages.Count);
        Assert.All(stages, s =>
        {
            var route = s.Properties.GetProperty("DefaultRouteSettings");
            Assert.True(route.GetProperty("ThrottlingRateLimit").GetDouble() > 0);
            Assert.True(route.GetProperty("ThrottlingBurstLimit").GetInt32() > 0);
            Assert.True(s.Properties.TryGetProperty("AccessLogSettings", out _));
        });
    }

    [Fact]
    public void Outputs_name_every_endpoint_the_tools_need()
    {
        foreach (var name in new[] { "HttpApiUrl", "WebSocketUrl", "AlbUrl", "ClusterName", "ServiceName", "DatabaseClusterId" })
        {
            stack.Template.HasOutput(name, Match.AnyValue());
        }
    }

    [Fact]
    public void Migrations_run_on_every_deploy_that_changes_the_api_bundle_before_the_functions_update()
    {
        var (id, migrations) = Assert.Single(stack.OfType("Custom::LiliumMigrations"));

        // Backed by the api bundle's migrate handler, in the VPC, with time for a long migration.
        var functionId = migrations.GetProperty("ServiceToken").GetProperty("Fn::GetAtt")[0].GetString()!;
        var function = stack.Resources.GetProperty(functionId).GetProperty("Properties");
        Assert.Equal("migrate", function.GetProperty("Handler").GetString());
        Assert.Equal(300, function.GetProperty("Timeout").GetInt32());
        Assert.True(function.TryGetProperty("VpcConfig", out _));
        Assert.Equal(stack.ApiBundleHash, migrations.GetProperty("BundleSha256").GetString());

        // After the database, before both functions.
        var dependsOn = DependsOn(id);
        Assert.Contains(dependsOn, d => stack.Resources.GetProperty(d).GetProperty("Type").GetString() == "AWS::RDS::DBCluster");
        foreach (var (fnId, _) in stack.OfType("AWS::Lambda::Function").Where(f => f.Properties.GetProperty("Handler").GetString() == "bootstrap"))
        {
            Assert.Contains(id, DependsOn(fnId));
        }
    }

    [Fact]
    public void A_local_endpoint_deploy_skips_the_migrations_resource()
    {
        using var local = new SynthesizedStack(localEndpoint: true);
        Assert.Empty(local.OfType("Custom::LiliumMigrations"));
        Assert.DoesNotContain(local.OfType("AWS::Lambda::Function"), f => f.Properties.GetProperty("Handler").GetString() == "migrate");
    }

    [Fact]
    public void No_function_may_write_the_token_keys_secret()
    {
        // The keys derive from the generated seed (TokenKeys.FromSeed): no function needs PutSecretValue.
        Assert.DoesNotContain("secretsmanager:PutSecretValue", stack.Json, StringComparison.Ordinal);
        stack.Template.HasResourceProperties("AWS::SecretsManager::Secret", Match.ObjectLike(new Dictionary<string, object>
        {
            ["GenerateSecretString"] = Match.ObjectLike(new Dictionary<string, object> { ["GenerateStringKey"] = "seed", ["PasswordLength"] = 64 }),
        }));
    }

    private string[] DependsOn(string id) =>
        stack.Resources.GetProperty(id).TryGetProperty("DependsOn", out var d) ? d.EnumerateArray().Select(e => e.GetString()!).ToArray() : [];

    [Fact]
    public async Task The_template_passes_cfn_lint()
    {
        var file = Path.Combine(Path.GetTempPath(), $"lilium-{Guid.NewGuid():N}.template.json");
        File.WriteAllText(file, stack.Json);
        try
        {
            var result = await Lilium.Testing.ProcessRunner.RunAsync("cfn-lint", ["--format", "parseable", file], TimeSpan.FromMinutes(3));
            // cfn-lint's exit code is a bit mask: 2 errors, 4 warnings, 8 informational.
            Assert.True((result.ExitCode & 2) == 0 && result.ExitCode < 16, result.StdOut + result.StdErr);
        }
        finally
        {
            File.Delete(file);
        }
    }

    // Here, not in a class of its own: a second SynthesizedStack fixture would drive the one jsii runtime from two
    // threads at once, which breaks it.
    [Fact]
    public void The_websocket_routes_are_the_protocols_client_actions_plus_connect_disconnect_and_default()
    {
        var api = stack.OfType("AWS::ApiGatewayV2::Api").Single(a => a.Properties.GetProperty("ProtocolType").GetString() == "WEBSOCKET");
        Assert.Equal("$request.body.action", api.Properties.GetProperty("RouteSelectionExpression").GetString());
        var routes = stack.OfType("AWS::ApiGatewayV2::Route")
            .Where(r => r.Properties.GetProperty("ApiId").GetProperty("Ref").GetString() == api.Id)
            .Select(r => r.Properties.GetProperty("RouteKey").GetString()!)
            .Order(StringComparer.Ordinal)
            .ToArray();
        string[] expected = [.. SignalingProtocol.ClientActions.Concat(["$connect", "$disconnect", "$default"]).Order(StringComparer.Ordinal)];
        Assert.Equal(expected, routes);
    }
}
