using System.Text.Json;

namespace Lilium.Infra.Tests;

/// <summary>The one HTTPS origin (CloudFront on its default domain) in front of the app, the API, signaling and the relay.</summary>
[Trait("Category", "Integration")]
[Collection(SynthesizedStack.Collection)]
public sealed class WebFrontTemplateTests(SynthesizedStack stack) : IClassFixture<SynthesizedStack>
{
    // CloudFront's managed policies (AWS documentation, "Use managed cache/origin request policies").
    private const string CachingDisabled = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad";
    private const string CachingOptimized = "658327ea-f89d-4fab-a63d-7e88639e58f6";
    private const string AllViewerExceptHostHeader = "b689b0a8-53d0-40ab-baf2-68738e2966ac";

    private JsonElement Config => Assert.Single(stack.OfType("AWS::CloudFront::Distribution")).Properties.GetProperty("DistributionConfig");

    [Fact]
    public void The_default_behaviour_serves_the_app_from_a_private_bucket_through_origin_access_control()
    {
        var config = Config;
        var origins = config.GetProperty("Origins").EnumerateArray().ToList();
        var defaultBehavior = config.GetProperty("DefaultCacheBehavior");
        var siteOrigin = origins.Single(o => o.GetProperty("Id").GetString() == defaultBehavior.GetProperty("TargetOriginId").GetString());
        Assert.True(siteOrigin.TryGetProperty("S3OriginConfig", out _));
        Assert.True(siteOrigin.GetProperty("OriginAccessControlId").ValueKind != JsonValueKind.Undefined);
        Assert.Equal("redirect-to-https", defaultBehavior.GetProperty("ViewerProtocolPolicy").GetString());
        Assert.Equal(CachingOptimized, defaultBehavior.GetProperty("CachePolicyId").GetString());
        Assert.Equal("index.html", config.GetProperty("DefaultRootObject").GetString());

        // The bucket is closed to the public; only the distribution reads it (OAC: the service principal with SourceArn).
        var (_, bucket) = Assert.Single(stack.OfType("AWS::S3::Bucket"));
        var block = bucket.GetProperty("PublicAccessBlockConfiguration");
        foreach (var flag in new[] { "BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets" })
        {
            Assert.True(block.GetProperty(flag).GetBoolean(), flag);
        }

        var policy = Assert.Single(stack.OfType("AWS::S3::BucketPolicy")).Properties.GetProperty("PolicyDocument").GetRawText();
        Assert.Contains("cloudfront.amazonaws.com", policy, StringComparison.Ordinal);
        Assert.Contains("AWS:SourceArn", policy, StringComparison.Ordinal);
        Assert.Single(stack.OfType("AWS::CloudFront::OriginAccessControl"));
    }

    [Theory]
    [InlineData("/v1/*", "HttpApi")]
    [InlineData("/ws", "WebSocketApi")]
    [InlineData("/whip/*", "Alb")]
    [InlineData("/whep/*", "Alb")]
    public void Each_path_goes_to_its_origin_uncached_with_the_viewers_headers_but_not_host(string path, string originResource)
    {
        var config = Config;
        var behavior = config.GetProperty("CacheBehaviors").EnumerateArray().Single(b => b.GetProperty("PathPattern").GetString() == path);
        Assert.Equal(CachingDisabled, behavior.GetProperty("CachePolicyId").GetString());
        Assert.Equal(AllViewerExceptHostHeader, behavior.GetProperty("OriginRequestPolicyId").GetString());
        Assert.Equal("https-only", behavior.GetProperty("ViewerProtocolPolicy").GetString());
        Assert.Contains("POST", behavior.GetProperty("AllowedMethods").EnumerateArray().Select(m => m.GetString()));
        Assert.True(behavior.TryGetProperty("ResponseHeadersPolicyId", out _));

        var origin = config.GetProperty("Origins").EnumerateArray().Single(o => o.GetProperty("Id").GetString() == behavior.GetProperty("TargetOriginId").GetString());
        var domain = origin.GetProperty("DomainName").GetRawText();
        var target = stack.Resources.EnumerateObject().Where(r => r.Name.Contains(originResource, StringComparison.Ordinal)
            && r.Value.GetProperty("Type").GetString() is "AWS::ApiGatewayV2::Api" or "AWS::ElasticLoadBalancingV2::LoadBalancer").Select(r => r.Name).Single();
        Assert.Contains($"\"{target}\"", domain, StringComparison.Ordinal);
        Assert.False(origin.TryGetProperty("OriginPath", out var originPath) && originPath.GetString()!.Length > 0, "the path reaches the origin as it is");
        Assert.Equal(originResource == "Alb" ? "http-only" : "https-only", origin.GetProperty("CustomOriginConfig").GetProperty("OriginProtocolPolicy").GetString());
    }

    [Fact]
    public void The_websocket_path_is_the_stage_name_so_it_reaches_the_stage_unchanged()
    {
        var (_, stage) = stack.OfType("AWS::ApiGatewayV2::Stage").Single(s => s.Properties.TryGetProperty("StageName", out var n) && n.GetString() != "$default");
        Assert.Equal(Lilium.Infra.Constructs.WebFront.WebSocketPath, "/" + stage.GetProperty("StageName").GetString());
    }

    [Fact]
    public void Every_response_carries_a_strict_csp_and_hsts()
    {
        var (_, policy) = Assert.Single(stack.OfType("AWS::CloudFront::ResponseHeadersPolicy"));
        var headers = policy.GetProperty("ResponseHeadersPolicyConfig").GetProperty("SecurityHeadersConfig");
        var csp = headers.GetProperty("ContentSecurityPolicy").GetProperty("ContentSecurityPolicy").GetString()!;
        Assert.Contains("default-src 'self'", csp, StringComparison.Ordinal);
        Assert.Contains("script-src 'self'", csp, StringComparison.Ordinal);
        Assert.Contains("frame-ancestors 'none'", csp, StringComparison.Ordinal);
        Assert.Contains("object-src 'none'", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-inline", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-eval", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("*", csp, StringComparison.Ordinal);
        var hsts = headers.GetProperty("StrictTransportSecurity");
        Assert.True(hsts.GetProperty("AccessControlMaxAgeSec").GetInt32() >= 31536000);
        Assert.True(hsts.GetProperty("IncludeSubdomains").GetBoolean());
        Assert.Equal("DENY", headers.GetProperty("FrameOptions").GetProperty("FrameOption").GetString());

        // The default behaviour and every path share it.
        var id = stack.OfType("AWS::CloudFront::ResponseHeadersPolicy").Single().Id;
        var config = Config;
        Assert.All(config.GetProperty("CacheBehaviors").EnumerateArray().Append(config.GetProperty("DefaultCacheBehavior")),
            b => Assert.Equal(id, b.GetProperty("ResponseHeadersPolicyId").GetProperty("Ref").GetString()));
    }

    [Fact]
    public void The_app_gets_its_endpoints_from_config_json_and_the_deploy_prints_the_url()
    {
        var (_, deployment) = Assert.Single(stack.OfType("Custom::CDKBucketDeployment"));
        var markers = deployment.GetProperty("SourceMarkers").GetRawText();
        Assert.Contains("DomainName", markers, StringComparison.Ordinal);
        var output = JsonDocument.Parse(stack.Json).RootElement.GetProperty("Outputs").GetProperty("AppUrl").GetProperty("Value").GetRawText();
        Assert.Contains("https://", output, StringComparison.Ordinal);
        Assert.Contains("DomainName", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Built_web_files_are_deployed_with_config_json_when_they_exist()
    {
        var dist = Path.Combine(Path.GetTempPath(), "lilium-web-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dist);
        File.WriteAllText(Path.Combine(dist, "index.html"), "<!doctype html><title>t</title>");
        try
        {
            using var withApp = new SynthesizedStack(localEndpoint: false, webDist: dist);
            var (_, deployment) = Assert.Single(withApp.OfType("Custom::CDKBucketDeployment"));
            Assert.Equal(2, deployment.GetProperty("SourceObjectKeys").GetArrayLength());
            Assert.Equal(1, Assert.Single(stack.OfType("Custom::CDKBucketDeployment")).Properties.GetProperty("SourceObjectKeys").GetArrayLength());
        }
        finally
        {
            Directory.Delete(dist, recursive: true);
        }
    }
}
