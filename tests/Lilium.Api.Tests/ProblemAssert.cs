using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Lilium.Api.Tests;

internal static class ProblemAssert
{
    /// <summary>Asserts an RFC 9457 problem response with the status (and code, if given); returns the body.</summary>
    public static async Task<JsonElement> IsProblemAsync(HttpResponseMessage response, HttpStatusCode status, string? code = null)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"expected {(int)status}, got {(int)response.StatusCode}: {text}");
        Assert.True(response.Content.Headers.ContentType?.MediaType == "application/problem+json", $"not a problem: {response.Content.Headers.ContentType} {text}");
        var body = JsonDocument.Parse(text).RootElement.Clone();
        Assert.Equal((int)status, body.GetProperty("status").GetInt32());
        Assert.True(body.TryGetProperty("title", out _), text);
        var requestId = response.Headers.GetValues(Lilium.Protocol.Http.RequestIds.Header).Single();
        Assert.True(body.TryGetProperty(Lilium.Protocol.Http.RequestIds.ProblemMember, out var member) && member.GetString() == requestId,
            $"the problem's requestId is not the response's X-Request-Id {requestId}: {text}");
        if (code is not null)
        {
            Assert.True(code == body.GetProperty("code").GetString(), $"expected code {code}: {text}");
        }

        return body;
    }

    public static async Task<JsonElement> OkJsonAsync(HttpResponseMessage response, HttpStatusCode status = HttpStatusCode.OK)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"expected {(int)status}, got {(int)response.StatusCode}: {text}");
        Assert.True(Lilium.Protocol.Http.RequestIds.IsValid(response.Headers.GetValues(Lilium.Protocol.Http.RequestIds.Header).Single()), "X-Request-Id");
        return JsonDocument.Parse(text).RootElement.Clone();
    }
}
