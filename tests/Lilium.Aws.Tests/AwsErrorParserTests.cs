using System.Net;
using System.Text;
using Lilium.Aws.Protocol;

namespace Lilium.Aws.Tests;

[Trait("Category", "Unit")]
public sealed class AwsErrorParserTests
{
    [Theory]
    // The smithy aws-json rule: drop a namespace before '#', and anything after ':'.
    [InlineData("ResourceNotFoundException", "ResourceNotFoundException")]
    [InlineData("com.amazonaws.secretsmanager#ResourceNotFoundException", "ResourceNotFoundException")]
    [InlineData("FooError:http://internal.amazon.com/coral/com.amazon.coral.validate/", "FooError")]
    [InlineData("aws.protocoltests.restjson#FooError:http://internal.amazon.com/", "FooError")]
    [InlineData("  ", null)]
    [InlineData(null, null)]
    public void Error_type_is_normalised(string? raw, string? expected) => Assert.Equal(expected, AwsErrorParser.Normalize(raw));

    [Theory]
    [InlineData("{\"__type\":\"ClusterNotFoundException\",\"message\":\"Cluster not found.\"}", "ClusterNotFoundException", "Cluster not found.")]
    [InlineData("{\"code\":\"ThrottlingException\",\"Message\":\"Rate exceeded\"}", "ThrottlingException", "Rate exceeded")]
    [InlineData("{\"nested\":{\"__type\":\"Nope\"},\"__type\":\"Yes\"}", "Yes", "{\"nested\":{\"__type\":\"Nope\"},\"__type\":\"Yes\"}")]
    [InlineData("<html>bad gateway</html>", "BadGateway", "<html>bad gateway</html>")]
    [InlineData("{\"__type\":", "BadGateway", "{\"__type\":")]
    [InlineData("", "BadGateway", "(no body)")]
    public void Body_gives_code_and_message_and_never_throws(string body, string code, string message)
    {
        using var response = new HttpResponseMessage(HttpStatusCode.BadGateway);

        var e = AwsErrorParser.Parse(AwsService.Ecs, HttpStatusCode.BadGateway, response.Headers, Encoding.UTF8.GetBytes(body));

        Assert.Equal(code, e.ErrorCode);
        Assert.Equal(message, e.ServiceMessage);
        Assert.Equal("ecs", e.Service);
    }

    [Fact]
    public void Header_type_wins_over_the_body()
    {
        using var response = new HttpResponseMessage(HttpStatusCode.Forbidden);
        response.Headers.TryAddWithoutValidation("X-Amzn-ErrorType", "ForbiddenException:http://internal/");
        response.Headers.TryAddWithoutValidation("x-amzn-RequestId", "r-1");

        var e = AwsErrorParser.Parse(AwsService.ApiGatewayManagementApi, HttpStatusCode.Forbidden, response.Headers, "{\"__type\":\"Other\",\"message\":\"Forbidden\"}"u8);

        Assert.Equal("ForbiddenException", e.ErrorCode);
        Assert.Equal("Forbidden", e.ServiceMessage);
        Assert.Equal("r-1", e.RequestId);
        Assert.False(e.IsTransient);
    }
}
