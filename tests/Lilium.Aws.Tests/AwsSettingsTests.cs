namespace Lilium.Aws.Tests;

[Trait("Category", "Unit")]
public sealed class AwsSettingsTests
{
    private static AwsSettings With(params (string Key, string? Value)[] variables) =>
        AwsSettings.From(variables.ToDictionary(v => v.Key, v => v.Value));

    [Fact]
    public void Region_prefers_AWS_REGION_over_AWS_DEFAULT_REGION()
    {
        Assert.Equal("eu-west-1", With(("AWS_REGION", "eu-west-1"), ("AWS_DEFAULT_REGION", "us-east-2")).Region);
        Assert.Equal("us-east-2", With(("AWS_DEFAULT_REGION", "us-east-2")).Region);
        Assert.Equal("us-east-2", With(("AWS_REGION", " "), ("AWS_DEFAULT_REGION", "us-east-2")).Region);
        Assert.Null(With().Region);
    }

    [Fact]
    public void Missing_region_is_a_configuration_error_naming_the_variable()
    {
        var e = Assert.Throws<AwsConfigurationException>(() => With().ResolveEndpoint(AwsService.Ecs));

        Assert.Contains("AWS_REGION", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Secrets Manager", "AWS_ENDPOINT_URL_SECRETS_MANAGER")]
    [InlineData("ECS", "AWS_ENDPOINT_URL_ECS")]
    [InlineData("ApiGatewayManagementApi", "AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI")]
    public void Service_endpoint_variable_follows_the_sdk_naming(string serviceId, string variable) =>
        Assert.Equal(variable, new AwsService(serviceId, "x", "x").EndpointVariable);

    [Fact]
    public void Endpoint_precedence_is_service_then_global_then_public()
    {
        var both = With(("AWS_REGION", "eu-west-1"), ("AWS_ENDPOINT_URL", "http://localhost:4566"), ("AWS_ENDPOINT_URL_ECS", "http://127.0.0.1:5000"));
        var global = With(("AWS_REGION", "eu-west-1"), ("AWS_ENDPOINT_URL", "http://localhost:4566"));
        var none = With(("AWS_REGION", "eu-west-1"));

        Assert.Equal(new Uri("http://127.0.0.1:5000"), both.ResolveEndpoint(AwsService.Ecs));
        Assert.Equal(new Uri("http://localhost:4566"), both.ResolveEndpoint(AwsService.SecretsManager));
        Assert.Equal(new Uri("http://localhost:4566"), global.ResolveEndpoint(AwsService.Ecs));
        Assert.Equal(new Uri("https://ecs.eu-west-1.amazonaws.com/"), none.ResolveEndpoint(AwsService.Ecs));
        Assert.Equal(new Uri("https://secretsmanager.eu-west-1.amazonaws.com/"), none.ResolveEndpoint(AwsService.SecretsManager));
    }

    [Fact]
    public void Ignore_configured_endpoints_switch_is_honoured()
    {
        var s = With(("AWS_REGION", "eu-west-1"), ("AWS_ENDPOINT_URL", "http://localhost:4566"), ("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true"));

        Assert.Equal(new Uri("https://ecs.eu-west-1.amazonaws.com/"), s.ResolveEndpoint(AwsService.Ecs));
    }

    [Theory]
    [InlineData("localhost:4566")]
    [InlineData("ftp://localhost")]
    [InlineData("not a url")]
    public void Malformed_endpoint_is_a_configuration_error(string value)
    {
        var e = Assert.Throws<AwsConfigurationException>(() => With(("AWS_REGION", "us-east-1"), ("AWS_ENDPOINT_URL", value)).ResolveEndpoint(AwsService.Ecs));

        Assert.Contains("AWS_ENDPOINT_URL", e.Message, StringComparison.Ordinal);
    }
}
