using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Lilium.Aws.ApiGateway;
using Lilium.Aws.Credentials;

namespace Lilium.Aws.Tests;

[Trait("Category", "Integration")]
public sealed class ApiGatewayManagementClientTests : IAsyncLifetime
{
    private const string Secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    private FakeManagementApi _api = null!;

    public async Task InitializeAsync() => _api = await FakeManagementApi.StartAsync();

    public async Task DisposeAsync() => await _api.DisposeAsync();

    [Fact]
    public async Task Post_sends_the_exact_bytes_with_a_valid_signature()
    {
        var payload = Encoding.UTF8.GetBytes("{\"type\":\"chat\",\"ciphertext\":\"AAEC\"}");

        await Client().PostToConnectionAsync("L0SM9cOFvHcCIhw=", payload);

        var request = Assert.Single(_api.Requests);
        Assert.Equal("POST", request.Method);
        Assert.Equal("/prod/%40connections/L0SM9cOFvHcCIhw%3D", request.RawTarget);
        Assert.Equal(payload, request.Body);
        AssertValidSignature(request, "us-east-1");
    }

    [Fact]
    public async Task Gone_connection_is_a_typed_result()
    {
        var client = Client();

        var e = await Assert.ThrowsAsync<GoneException>(() => client.PostToConnectionAsync("gone", "x"u8.ToArray()));
        var delivered = await client.TryPostToConnectionAsync("gone", "x"u8.ToArray());

        Assert.Equal("gone", e.ConnectionId);
        Assert.Equal(HttpStatusCode.Gone, e.StatusCode);
        Assert.Equal("GoneException", e.ErrorCode);
        Assert.Equal("req-410", e.RequestId);
        Assert.False(delivered);
        Assert.Equal(2, _api.Requests.Count); // 410 is final: never retried
    }

    [Fact]
    public async Task Get_connection_reads_times_and_identity()
    {
        var info = await Client().GetConnectionAsync("abc");

        Assert.Equal(new DateTimeOffset(2026, 11, 22, 10, 0, 0, TimeSpan.Zero), info.ConnectedAt);
        Assert.Equal(new DateTimeOffset(2026, 11, 22, 10, 5, 30, 500, TimeSpan.Zero), info.LastActiveAt);
        Assert.Equal("203.0.113.9", info.SourceIp);
        Assert.Equal("Lilium/1", info.UserAgent);
        var request = Assert.Single(_api.Requests);
        Assert.Equal("GET", request.Method);
        AssertValidSignature(request, "us-east-1");
    }

    [Fact]
    public async Task Delete_connection_is_signed_and_gone_is_reported()
    {
        var client = Client();

        await client.DeleteConnectionAsync("abc");
        await Assert.ThrowsAsync<GoneException>(() => client.DeleteConnectionAsync("gone"));

        var request = _api.Requests.First();
        Assert.Equal("DELETE", request.Method);
        AssertValidSignature(request, "us-east-1");
    }

    [Fact]
    public async Task Throttling_is_retried_with_a_fresh_signature()
    {
        _api.ThrottleNext = 2;

        await Client().PostToConnectionAsync("abc", "hi"u8.ToArray());

        Assert.Equal(3, _api.Requests.Count);
        Assert.All(_api.Requests, r => AssertValidSignature(r, "us-east-1"));
    }

    [Fact]
    public async Task Throttling_that_persists_surfaces_as_limit_exceeded()
    {
        _api.ThrottleNext = 10;

        var e = await Assert.ThrowsAsync<AwsServiceException>(() => Client().PostToConnectionAsync("abc", "hi"u8.ToArray()));

        Assert.Equal("LimitExceededException", e.ErrorCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, e.StatusCode);
        Assert.Equal(3, _api.Requests.Count);
    }

    [Fact]
    public async Task Oversize_payload_is_refused_before_sending()
    {
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Client().PostToConnectionAsync("abc", new byte[ApiGatewayManagementClient.MaxPayloadBytes + 1]));

        Assert.Empty(_api.Requests);
    }

    [Fact]
    public async Task Region_for_signing_comes_from_the_execute_api_host()
    {
        // Resolve the real-looking stage host to the loopback server: a real socket, a real AWS host name.
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, ct) =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
                await socket.ConnectAsync(IPAddress.Loopback, _api.Port, ct);
                return new NetworkStream(socket, ownsSocket: true);
            },
        };
        var context = new AwsContext(new HttpClient(handler), AwsSettings.From(new Dictionary<string, string?> { ["AWS_REGION"] = "us-east-1" }), new StaticCredentialsProvider("AKIDEXAMPLE", Secret));
        var client = new ApiGatewayManagementClient(context, new Uri("http://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/prod"));

        await client.PostToConnectionAsync("abc", "hi"u8.ToArray());

        var request = Assert.Single(_api.Requests);
        Assert.Equal("a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com", request.Headers["host"]);
        AssertValidSignature(request, "eu-west-1");
    }

    private ApiGatewayManagementClient Client() =>
        new(new AwsContext(new HttpClient(), AwsSettings.From(new Dictionary<string, string?> { ["AWS_REGION"] = "us-east-1" }), new StaticCredentialsProvider("AKIDEXAMPLE", Secret)), _api.StageUrl);

    /// <summary>
    /// Rebuilds the canonical request from what arrived on the wire (path segments decoded, then encoded
    /// twice as SigV4 prescribes for non-S3 services) and checks the signature with the test's reference.
    /// </summary>
    private static void AssertValidSignature(RecordedRequest request, string region)
    {
        var authorization = request.Headers["authorization"];
        var match = System.Text.RegularExpressions.Regex.Match(
            authorization,
            "^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/(?<date>\\d{8})/(?<region>[a-z0-9-]+)/execute-api/aws4_request, SignedHeaders=(?<signed>[a-z0-9;-]+), Signature=(?<sig>[0-9a-f]{64})$");
        Assert.True(match.Success, authorization);
        Assert.Equal(region, match.Groups["region"].Value);

        var signed = match.Groups["signed"].Value.Split(';');
        Assert.Contains("host", signed);
        Assert.Contains("x-amz-date", signed);
        var amzDate = request.Headers["x-amz-date"];
        Assert.StartsWith(match.Groups["date"].Value, amzDate, StringComparison.Ordinal);

        var canonicalUri = string.Join('/', request.DecodedPath.Split('/').Select(s => Uri.EscapeDataString(Uri.EscapeDataString(s))));
        var payloadHash = Convert.ToHexStringLower(SHA256.HashData(request.Body));
        var canonical = string.Join('\n',
            request.Method,
            canonicalUri,
            "",
            string.Concat(signed.Select(h => h + ":" + request.Headers[h].Trim() + "\n")),
            string.Join(';', signed),
            payloadHash);
        var at = DateTimeOffset.ParseExact(amzDate, "yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);

        Assert.Equal(SigV4Reference.Sign(canonical, Secret, at, region, "execute-api"), match.Groups["sig"].Value);
    }
}
