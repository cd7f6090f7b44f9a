using System.Text.Json;
using Amazon.CDK.Assertions;
using Lilium.Protocol.Signaling;

namespace Lilium.Infra.Tests;

[Trait("Category", "Integration")]
[Collection(SynthesizedStack.Collection)]
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
    [InlineData("AWS::CloudFront::Distribution", 1)]
    [InlineData("AWS::SecretsManager::Secret", 3)]
    public void Every_part_is_present(string type, int count) => stack.Template.ResourceCountIs(type, count);

    [Fact]
    public void The_lambdas_use_the_custom_runtime_in_the_vpc()
    {
        // api, signaling and the sweeper (the signaling bundle with LILIUM_HANDLER=sweep).
        var functions = stack.OfType("AWS::Lambda::Function").Where(f => f.Properties.GetProperty("Handler").GetString() == "bootstrap").ToList();
        Assert.Equal(3, functions.Count);
        Assert.All(functions, f =>
        {
            Assert.Equal("provided.al2023", f.Properties.GetProperty("Runtime").GetString());
            Assert.True(f.Properties.TryGetProperty("VpcConfig", out _));
        });
    }

    [Fact]
    public void Only_the_media_ports_and_the_load_balancer_are_open_to_the_world()
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

        // The load balancer (80 here: no certificate), ICE-TCP on 443 and UDP media on 7882.
        Assert.Equal([("tcp", 80, 80), ("tcp", 443, 443), ("udp", 7882, 7882)], open.Order().ToList());
    }

    [Fact]
    public void The_relay_runs_on_arm64_with_ice_tcp_on_443()
    {
        var task = stack.OfType("AWS::ECS::TaskDefinition").Single().Properties;
        var platform = task.GetProperty("RuntimePlatform");
        Assert.Equal("ARM64", platform.GetProperty("CpuArchitecture").GetString());
        Assert.Equal("LINUX", platform.GetProperty("OperatingSystemFamily").GetString());
        var relay = task.GetProperty("ContainerDefinitions")[0];
        var environment = relay.GetProperty("Environment").EnumerateArray().ToDictionary(e => e.GetProperty("Name").GetString()!, e => e.GetProperty("Value") is { ValueKind: JsonValueKind.String } v ? v.GetString() : null);
        Assert.Equal("443", environment["RELAY_TCP_PORT"]);
        Assert.Equal("0.0.0.0", environment["RELAY_BIND_ADDRESS"]);
        var mappings = relay.GetProperty("PortMappings").EnumerateArray()
            .Select(m => (m.GetProperty("ContainerPort").GetInt32(), m.GetProperty("Protocol").GetString())).Order().ToList();
        Assert.Equal([(443, "tcp"), (7882, "udp"), (8080, "tcp")], mappings);
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
            .Single(vars => vars.Contains("WS_MANAGEMENT_ENDPOINT") && !vars.Contains("LILIUM_HANDLER"));
        Assert.Superset(new HashSet<string> { "TOKEN_KEYS_SECRET_ARN", "RELAY_KEY_SECRET_ARN", "DB_SECRET_ARN", "CONNECTIONS_TABLE", "WS_MANAGEMENT_ENDPOINT", "RELAY_URL" }, names);
    }

    [Fact]
    public void The_sweeper_runs_every_minute_and_the_relay_polls_the_control_plane()
    {
        var sweeper = stack.OfType("AWS::Lambda::Function")
            .Single(f => f.Properties.TryGetProperty("Environment", out var env)
                && env.GetProperty("Variables").TryGetProperty("LILIUM_HANDLER", out var h) && h.GetString() == "sweep");
        stack.Template.HasResourceProperties("AWS::Events::Rule", new Dictionary<string, object>
        {
            ["ScheduleExpression"] = "rate(1 minute)",
            ["Targets"] = Match.ArrayWith([Match.ObjectLike(new Dictionary<string, object>
            {
                ["Arn"] = new Dictionary<string, object> { ["Fn::GetAtt"] = new object[] { sweeper.Id, "Arn" } },
            })]),
        });
        var relay = stack.OfType("AWS::ECS::TaskDefinition").Single().Properties.GetProperty("ContainerDefinitions")[0];
        Assert.Contains(relay.GetProperty("Environment").EnumerateArray(), e => e.GetProperty("Name").GetString() == "RELAY_CONTROL_PLANE_URL");
        Assert.Contains(relay.GetProperty("Environment").EnumerateArray(), e => e.GetProperty("Name").GetString() == "RELAY_TRUSTED_PROXIES"); // per-address caps see the client, not the load balancer
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

            // Whoever reads the database verifies its certificate with the packaged RDS authorities (VerifyFull).
            if (env.GetProperty("Variables").TryGetProperty("DB_SECRET_ARN", out _))
            {
                Assert.Equal("/var/task/rds-ca.pem", env.GetProperty("Variables").GetProperty("DB_SSL_ROOT_CERT").GetString());
            }
        }

        var container = stack.OfType("AWS::ECS::TaskDefinition").Single().Properties.GetProperty("ContainerDefinitions")[0];
        Assert.Contains(container.GetProperty("Secrets").EnumerateArray(), s => s.GetProperty("Name").GetString() == "RELAY_KEY");
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
    public void Anonymous_rest_routes_and_costly_websocket_routes_have_throttles_of_their_own()
    {
        var http = stack.OfType("AWS::ApiGatewayV2::Api").Single(a => a.Properties.GetProperty("ProtocolType").GetString() == "HTTP");
        var httpRoutes = stack.OfType("AWS::ApiGatewayV2::Route")
            .Where(r => r.Properties.GetProperty("ApiId").GetProperty("Ref").GetString() == http.Id)
            .ToDictionary(r => r.Properties.GetProperty("RouteKey").GetString()!, r => r.Id);
        var stages = stack.OfType("AWS::ApiGatewayV2::Stage").ToList();
        var httpStage = stages.Single(s => s.Properties.GetProperty("ApiId").GetProperty("Ref").GetString() == http.Id);
        var wsStage = stages.Single(s => s.Id != httpStage.Id);

        foreach (var (path, rate, burst) in Lilium.Infra.Constructs.ControlPlane.HttpRouteThrottles)
        {
            var key = $"POST {path}";
            Assert.True(httpRoutes.ContainsKey(key), $"no route {key}: it would share $default's throttle");
            Assert.Contains(httpRoutes[key], DependsOn(httpStage.Id)); // the stage's settings name a route that exists
            AssertThrottle(httpStage, key, rate, burst);
        }

        foreach (var (route, rate, burst) in Lilium.Infra.Constructs.ControlPlane.WebSocketRouteThrottles)
        {
            AssertThrottle(wsStage, route, rate, burst);
        }

        static void AssertThrottle((string Id, System.Text.Json.JsonElement Properties) stage, string key, int rate, int burst)
        {
            var settings = stage.Properties.GetProperty("RouteSettings").GetProperty(key);
            var stageDefault = stage.Properties.GetProperty("DefaultRouteSettings");
            Assert.Equal(rate, settings.GetProperty("ThrottlingRateLimit").GetInt32());
            Assert.Equal(burst, settings.GetProperty("ThrottlingBurstLimit").GetInt32());
            Assert.True(rate < stageDefault.GetProperty("ThrottlingRateLimit").GetDouble(), $"{key}: tighter than the stage");
        }
    }

    [Fact]
    public void Outputs_name_every_endpoint_the_tools_need()
    {
        foreach (var name in new[] { "AppUrl", "Mode", "HttpApiUrl", "WebSocketUrl", "AlbUrl", "ClusterName", "ServiceName", "DatabaseClusterId", "RelayKeySecretArn" })
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

        // After the database, before every function that runs the bundles.
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

    [Fact]
    public void The_connections_table_is_the_one_the_signaling_code_writes()
    {
        // Keys and TTL from functions/Lilium.Signaling's ConnectionTableSchema; the deploy test (LocalDeployTests) runs the
        // code against the deployed table. Spelled out here so a change to either side is a visible test change.
        var table = Assert.Single(stack.OfType("AWS::DynamoDB::Table")).Properties;
        var keys = table.GetProperty("KeySchema").EnumerateArray().Select(k => (k.GetProperty("AttributeName").GetString(), k.GetProperty("KeyType").GetString())).ToList();
        Assert.Equal([("pk", "HASH"), ("sk", "RANGE")], keys);
        Assert.All(table.GetProperty("AttributeDefinitions").EnumerateArray(), a => Assert.Equal("S", a.GetProperty("AttributeType").GetString()));
        Assert.Equal("expires", table.GetProperty("TimeToLiveSpecification").GetProperty("AttributeName").GetString());
        Assert.True(table.GetProperty("TimeToLiveSpecification").GetProperty("Enabled").GetBoolean());
    }

    [Fact]
    public void The_relay_gets_only_the_relay_key_from_its_own_secret()
    {
        var relayKey = stack.OfType("AWS::SecretsManager::Secret")
            .Single(s => s.Properties.GetProperty("GenerateSecretString").TryGetProperty("GenerateStringKey", out var k) && k.GetString() == "relayKey").Id;
        var otherSecrets = stack.OfType("AWS::SecretsManager::Secret").Select(s => s.Id).Where(id => id != relayKey).ToList();
        Assert.NotEmpty(otherSecrets);

        // The container: exactly one secret, RELAY_KEY, the relayKey field of that secret; no ARN of another secret anywhere.
        var (_, taskDef) = Assert.Single(stack.OfType("AWS::ECS::TaskDefinition"));
        var container = Assert.Single(taskDef.GetProperty("ContainerDefinitions").EnumerateArray());
        var secret = Assert.Single(container.GetProperty("Secrets").EnumerateArray());
        Assert.Equal("RELAY_KEY", secret.GetProperty("Name").GetString());
        var valueFrom = secret.GetProperty("ValueFrom").GetRawText();
        Assert.Contains($"\"Ref\":\"{relayKey}\"", valueFrom, StringComparison.Ordinal);
        Assert.Contains(":relayKey::", valueFrom, StringComparison.Ordinal);
        var containerJson = container.GetRawText();
        Assert.All(otherSecrets, id => Assert.DoesNotContain($"\"{id}\"", containerJson, StringComparison.Ordinal));
        Assert.DoesNotContain(container.GetProperty("Environment").EnumerateArray(), e => e.GetProperty("Name").GetString()!.Contains("SECRET", StringComparison.Ordinal) || e.GetProperty("Name").GetString()!.StartsWith("TOKEN_KEYS", StringComparison.Ordinal));

        // Roles: the task role may read no secret; the execution role (which injects RELAY_KEY) only the relay key.
        var taskRole = taskDef.GetProperty("TaskRoleArn").GetProperty("Fn::GetAtt")[0].GetString()!;
        var executionRole = taskDef.GetProperty("ExecutionRoleArn").GetProperty("Fn::GetAtt")[0].GetString()!;
        Assert.Empty(SecretStatements(taskRole));
        var statements = SecretStatements(executionRole);
        Assert.NotEmpty(statements);
        Assert.All(statements, st =>
        {
            var resources = st.GetProperty("Resource").GetRawText();
            Assert.Contains($"\"{relayKey}\"", resources, StringComparison.Ordinal);
            Assert.All(otherSecrets, id => Assert.DoesNotContain($"\"{id}\"", resources, StringComparison.Ordinal));
        });

        // The functions that sign relay grants (api, signaling, and the sweeper that runs the signaling handler) get the
        // relay key's secret ARN and may read it.
        var signers = stack.OfType("AWS::Lambda::Function").Where(f => f.Properties.GetProperty("Handler").GetString() == "bootstrap").ToList();
        Assert.Equal(3, signers.Count);
        Assert.All(signers, f =>
        {
            Assert.Equal(relayKey, f.Properties.GetProperty("Environment").GetProperty("Variables").GetProperty("RELAY_KEY_SECRET_ARN").GetProperty("Ref").GetString());
            var role = f.Properties.GetProperty("Role").GetProperty("Fn::GetAtt")[0].GetString()!;
            Assert.Contains(SecretStatements(role), st => st.GetProperty("Resource").GetRawText().Contains($"\"{relayKey}\"", StringComparison.Ordinal));
        });
    }

    /// <summary>Every policy statement attached to <paramref name="roleId"/> that allows a Secrets Manager action.</summary>
    private List<JsonElement> SecretStatements(string roleId) =>
        stack.OfType("AWS::IAM::Policy")
            .Where(p => p.Properties.GetProperty("Roles").EnumerateArray().Any(r => r.TryGetProperty("Ref", out var id) && id.GetString() == roleId))
            .SelectMany(p => p.Properties.GetProperty("PolicyDocument").GetProperty("Statement").EnumerateArray())
            .Where(st => st.GetProperty("Action").GetRawText().Contains("secretsmanager:", StringComparison.Ordinal))
            .ToList();

    private string[] DependsOn(string id) =>
        stack.Resources.GetProperty(id).TryGetProperty("DependsOn", out var d) ? d.EnumerateArray().Select(e => e.GetString()!).ToArray() : [];

    [Fact]
    public void Every_function_runs_on_a_runtime_lambda_still_creates()
    {
        var runtimes = stack.OfType("AWS::Lambda::Function").Select(f => f.Properties.GetProperty("Runtime").GetString()).ToHashSet();
        Assert.Equal(new HashSet<string?> { "provided.al2023", "nodejs22.x", "python3.12" }, runtimes);
    }

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
