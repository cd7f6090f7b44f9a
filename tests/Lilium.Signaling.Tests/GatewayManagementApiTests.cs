using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text;
using Lilium.Aws;
using Lilium.Aws.ApiGateway;
using Lilium.Aws.Credentials;
using Lilium.Lambda.Events;
using Lilium.LocalGateway;
using Lilium.Testing;

namespace Lilium.Signaling.Tests;

/// <summary>
/// The local gateway's <c>@connections</c> API as a function in another process uses it (the deployed signaling
/// bootstrap behind the gateway): <see cref="ApiGatewayManagementClient"/> over HTTP, with the connection id
/// percent-encoded in the path. Connection ids are base64 of 10 random bytes, so about one in five holds a <c>/</c>
/// (sent as <c>%2F</c>, which ASP.NET Core's routing leaves encoded in a route value): such a connection received
/// nothing and every post to it answered 410, which the handler takes as "gone" and deletes the connection.
/// </summary>
[Trait("Category", "Integration")]
public sealed class GatewayManagementApiTests : IAsyncLifetime
{
    private readonly ConcurrentQueue<string> _connected = new();
    private LocalGatewayHost _gateway = null!;

    public async Task InitializeAsync()
    {
        _gateway = new LocalGatewayHost(new GatewayOptions { Port = Ports.FreeTcp() }, new ConnectionRegistry(), (e, _) =>
        {
            if (e.RequestContext?.EventType == WebSocketEventType.Connect)
            {
                _connected.Enqueue(e.RequestContext.ConnectionId!);
            }

            return Task.FromResult(WebSocketResponse.Ok);
        });
        await _gateway.StartAsync();
    }

    public async Task DisposeAsync() => await _gateway.DisposeAsync();

    [Fact]
    public async Task Post_get_and_delete_reach_a_connection_whose_id_holds_a_slash()
    {
        // Connect until the gateway hands out an id with '/' (p ≈ 0.19 each; 0.81^100 ≈ 7e-10 to find none).
        var clients = new List<ClientWebSocket>();
        try
        {
            string? id = null;
            ClientWebSocket? client = null;
            for (var i = 0; i < 100 && id is null; i++)
            {
                client = new ClientWebSocket();
                clients.Add(client);
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                await client.ConnectAsync(_gateway.WebSocketUri, timeout.Token);
                var assigned = _connected.ToArray()[^1];
                id = assigned.Contains('/', StringComparison.Ordinal) ? assigned : null;
            }

            Assert.NotNull(id);
            var management = new ApiGatewayManagementClient(
                new AwsContext(new HttpClient(), AwsSettings.From(new Dictionary<string, string?> { ["AWS_REGION"] = "us-east-1" }), new StaticCredentialsProvider("test", "test")),
                _gateway.ManagementEndpoint);

            var info = await management.GetConnectionAsync(id);
            Assert.NotNull(info.ConnectedAt);

            Assert.True(await management.TryPostToConnectionAsync(id, "{\"action\":\"hello\"}"u8.ToArray()), $"the gateway answered 410 for its own connection {id}");
            var buffer = new byte[256];
            using (var receive = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
            {
                var result = await client!.ReceiveAsync(buffer, receive.Token);
                Assert.Equal("{\"action\":\"hello\"}", Encoding.UTF8.GetString(buffer, 0, result.Count));
            }

            await management.DeleteConnectionAsync(id);
            using (var closed = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
            {
                var result = await client.ReceiveAsync(buffer, closed.Token);
                Assert.Equal(WebSocketMessageType.Close, result.MessageType);
            }
        }
        finally
        {
            foreach (var c in clients)
            {
                c.Abort();
                c.Dispose();
            }
        }
    }
}
