using System.Text.Json;
using Lilium.Lambda.Events;

namespace Lilium.Lambda.Tests;

/// <summary>The event models read real API Gateway events (aws-lambda-go samples) and write what API Gateway expects.</summary>
[Trait("Category", "Unit")]
public sealed class EventModelTests
{
    private static WebSocketEvent Load(string name) =>
        JsonSerializer.Deserialize(File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Fixtures", name)), LambdaEventsJsonContext.Default.WebSocketEvent)!;

    [Fact]
    public void WebSocket_message_event()
    {
        var e = Load("apigw-websocket-request-send-message.json");

        var c = e.RequestContext!;
        Assert.Equal("$default", c.RouteKey);
        Assert.Equal(WebSocketEventType.Message, c.EventType);
        Assert.Equal("R1kmxc2VNjMCFIA=", c.ConnectionId);
        Assert.Equal("R1knPc2ntjMCFIA=", c.MessageId);
        Assert.Equal("prod", c.Stage);
        Assert.Equal("gy415nuibc", c.ApiId);
        Assert.Equal("dl7ptocha9.execute-api.ap-northeast-1.amazonaws.com", c.DomainName);
        Assert.Equal(1705751697419, c.ConnectedAt);
        Assert.Equal(1705751700453, c.RequestTimeEpoch);
        Assert.Equal("49.105.91.154", c.Identity!.SourceIp);
        Assert.Equal("{\r\n\t\"a\": 1\r\n}", e.Body);
        Assert.False(e.IsBase64Encoded);
        Assert.Null(c.DisconnectStatusCode);
    }

    [Fact]
    public void WebSocket_disconnect_event()
    {
        var e = Load("apigw-websocket-request-disconnect.json");

        var c = e.RequestContext!;
        Assert.Equal(WebSocketEventType.Disconnect, c.EventType);
        Assert.Equal(1001, c.DisconnectStatusCode);
        Assert.Equal("", c.DisconnectReason);
        Assert.Null(c.MessageId);
        Assert.Equal("dl7ptocha9.execute-api.ap-northeast-1.amazonaws.com", e.Headers!["Host"]);
        Assert.Equal([""], e.MultiValueHeaders!["x-api-key"]);
    }

    [Fact]
    public void Connect_response_is_just_a_status_code()
    {
        var json = JsonSerializer.Serialize(WebSocketResponse.Ok, LambdaEventsJsonContext.Default.WebSocketResponse);

        Assert.Equal("{\"statusCode\":200,\"isBase64Encoded\":false}", json);
    }

    [Fact]
    public void Http_response_uses_the_payload_2_0_names()
    {
        var json = JsonSerializer.Serialize(
            new HttpApiV2Response { StatusCode = 201, Headers = new Dictionary<string, string> { ["Content-Type"] = "application/json" }, Cookies = ["a=1"], Body = "{}" },
            LambdaEventsJsonContext.Default.HttpApiV2Response);

        Assert.Equal("{\"statusCode\":201,\"headers\":{\"Content-Type\":\"application/json\"},\"cookies\":[\"a=1\"],\"body\":\"{}\",\"isBase64Encoded\":false}", json);
    }
}
