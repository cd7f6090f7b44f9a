using System.Text;
using System.Text.Json;

namespace Lilium.Lambda.Tests;

/// <summary>HTTP API 2.0 events through a real ASP.NET Core app process (UseLambdaHttpApi) and the emulator.</summary>
[Trait("Category", "Integration")]
public sealed class HttpApiServerTests(AspNetFunctionFixture fixture) : IClassFixture<AspNetFunctionFixture>
{
    [Fact]
    public async Task Text_response_with_headers_set_on_starting()
    {
        var r = await fixture.SendAsync(HttpApiEvents.Request("GET", "/hello"));

        Assert.Equal(200, r.StatusCode);
        Assert.Equal("hello from lambda", r.Body);
        Assert.False(r.IsBase64Encoded);
        Assert.StartsWith("text/plain", r.Headers["Content-Type"], StringComparison.Ordinal);
        Assert.Equal("yes", r.Headers["X-Started"]);
    }

    [Fact]
    public async Task Request_line_headers_cookies_and_context_reach_the_app()
    {
        var r = await fixture.SendAsync(HttpApiEvents.Request(
            "GET",
            "/prod/request",
            "q=a%20b&x=1",
            new Dictionary<string, string> { ["x-multi"] = "1,2" },
            cookies: ["a=1", "b=two"],
            stage: "prod"));

        Assert.Equal(200, r.StatusCode);
        Assert.Equal(
            "GET|https|/prod|/request|?q=a%20b&x=1|a b|a=1; b=two|1|1,2|198.51.100.7|JKJaXmPLvHcESHA=|",
            r.Body);
    }

    [Fact]
    public async Task Stage_prefix_is_only_stripped_on_a_segment_boundary()
    {
        var r = await fixture.SendAsync(HttpApiEvents.Request("GET", "/prod/request", stage: "pro"));

        Assert.Equal(404, r.StatusCode);
    }

    [Fact]
    public async Task Binary_body_round_trips_as_base64()
    {
        var bytes = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();

        var r = await fixture.SendAsync(HttpApiEvents.Request(
            "POST", "/echo", headers: new Dictionary<string, string> { ["content-type"] = "application/octet-stream" }, body: Convert.ToBase64String(bytes), base64: true));

        Assert.Equal(200, r.StatusCode);
        Assert.True(r.IsBase64Encoded);
        Assert.Equal(bytes, r.BodyBytes);
    }

    [Fact]
    public async Task Json_body_stays_text()
    {
        var json = "{\"nickname\":\"Lìlium ✿\"}";

        var r = await fixture.SendAsync(HttpApiEvents.Request(
            "POST", "/echo", headers: new Dictionary<string, string> { ["content-type"] = "application/json; charset=utf-8" }, body: json));

        Assert.False(r.IsBase64Encoded);
        Assert.Equal(json, r.Body);
    }

    [Fact]
    public async Task Json_from_the_app_is_utf8_text()
    {
        var r = await fixture.SendAsync(HttpApiEvents.Request("GET", "/json"));

        Assert.False(r.IsBase64Encoded);
        using var doc = JsonDocument.Parse(r.Body!);
        Assert.Equal("é✓", doc.RootElement.GetProperty("Text").GetString());
    }

    [Fact]
    public async Task Each_set_cookie_becomes_a_cookies_entry_and_repeats_are_comma_joined()
    {
        var r = await fixture.SendAsync(HttpApiEvents.Request("GET", "/cookies"));

        Assert.Equal(204, r.StatusCode);
        Assert.Equal(["a=1; path=/", "b=2; path=/; httponly"], r.Cookies);
        Assert.False(r.Headers.ContainsKey("Set-Cookie"));
        Assert.Equal("x,y", r.Headers["X-Many"]);
        Assert.Null(r.Body);
    }

    [Fact]
    public async Task Unhandled_exception_is_a_500_and_the_function_keeps_serving()
    {
        var failed = await fixture.SendAsync(HttpApiEvents.Request("GET", "/fail"));
        var after = await fixture.SendAsync(HttpApiEvents.Request("GET", "/hello"));

        Assert.Equal(500, failed.StatusCode);
        Assert.Equal(200, after.StatusCode);
    }

    [Fact]
    public async Task Body_over_the_max_request_body_size_is_413()
    {
        var r = await fixture.SendAsync(HttpApiEvents.Request(
            "POST", "/small", headers: new Dictionary<string, string> { ["content-type"] = "text/plain" }, body: new string('x', 17)));

        Assert.Equal(413, r.StatusCode);
    }

    [Fact]
    public async Task Unknown_route_is_404()
    {
        var r = await fixture.SendAsync(HttpApiEvents.Request("GET", "/nope"));

        Assert.Equal(404, r.StatusCode);
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("null")]
    [InlineData("[1,2]")]
    [InlineData("{\"requestContext\":{\"http\":{\"method\":\"GET\"}},\"body\":\"%%%\",\"isBase64Encoded\":true}")]
    public async Task Event_that_is_not_an_http_request_gets_a_400_problem(string @event)
    {
        var r = await fixture.SendAsync(@event);

        Assert.Equal(400, r.StatusCode);
        Assert.Equal("application/problem+json", r.Headers["Content-Type"]);
        using var doc = JsonDocument.Parse(r.Body!);
        Assert.Equal(400, doc.RootElement.GetProperty("status").GetInt32());
    }

    [Fact]
    public async Task Invalid_json_event_gets_a_400_problem()
    {
        var result = await fixture.Emulator.InvokeAsync(Encoding.UTF8.GetBytes("{not json"));

        Assert.Equal(400, HttpApiEvents.Parse(result.Payload).StatusCode);
    }
}
