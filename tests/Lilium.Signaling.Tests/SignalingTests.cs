using System.Net.WebSockets;
using System.Text.Json;
using Lilium.Signaling.Connections;
using Lilium.Testing;

namespace Lilium.Signaling.Tests;

[CollectionDefinition(nameof(SignalingCollection))]
public sealed class SignalingCollection : ICollectionFixture<PostgresFixture>, ICollectionFixture<AwsEndpointFixture>;

[Collection(nameof(SignalingCollection))]
[Trait("Category", "Integration")]
public sealed class SignalingTests(PostgresFixture postgres, AwsEndpointFixture aws) : IAsyncLifetime
{
    private readonly SignalingWorld _world = new(postgres, aws);

    public Task InitializeAsync() => _world.InitializeAsync();

    public Task DisposeAsync() => _world.DisposeAsync();

    private static string B64(int bytes) => Convert.ToBase64String(new byte[bytes].Select((_, i) => (byte)i).ToArray());

    [Fact]
    public async Task Connect_without_or_with_a_bad_token_is_refused_with_401()
    {
        var none = await Assert.ThrowsAsync<WebSocketException>(() => TestClient.ConnectAsync(_world.Gateway.WebSocketUri, null));
        Assert.Contains("401", none.Message);
        var bad = await Assert.ThrowsAsync<WebSocketException>(() => TestClient.ConnectAsync(_world.Gateway.WebSocketUri, "lt1.access.AAAA.BBBB"));
        Assert.Contains("401", bad.Message);
    }

    [Fact]
    public async Task Token_in_the_subprotocol_is_accepted_and_the_subprotocol_echoed()
    {
        var alice = await _world.NewUserAsync("alice");
        await using var c = await TestClient.ConnectAsync(_world.Gateway.WebSocketUri, alice.Token, viaSubprotocol: true);
        Assert.Equal("lilium.v1", c.Socket.SubProtocol);
        await c.PingAsync();
    }

    [Fact]
    public async Task A_sixth_connection_of_one_user_is_refused_with_403()
    {
        var alice = await _world.NewUserAsync("alice");
        var open = new List<TestClient>();
        for (var i = 0; i < 5; i++)
        {
            open.Add(await _world.ConnectAsync(alice));
        }

        var e = await Assert.ThrowsAsync<WebSocketException>(() => _world.ConnectAsync(alice));
        Assert.Contains("403", e.Message);
        foreach (var c in open)
        {
            await c.DisposeAsync();
        }
    }

    [Fact]
    public async Task Presence_goes_online_on_first_device_and_offline_after_the_last()
    {
        var alice = await _world.NewUserAsync("alice");
        var bob = await _world.NewUserAsync("bob");
        await _world.MakeFriendsAsync(alice, bob);
        await using var bobClient = await _world.ConnectAsync(bob);

        var phone = await _world.ConnectAsync(alice);
        var online = await bobClient.WaitForAsync("presence");
        Assert.Equal(alice.Id.ToString(), TestClient.Str(online, "user"));
        Assert.True(online.GetProperty("online").GetBoolean());

        var laptop = await _world.ConnectAsync(alice);
        await laptop.PingAsync();
        await phone.CloseAsync();
        await phone.WaitClosedAsync();
        await laptop.PingAsync();
        Assert.False(await bobClient.ReceivesWithinAsync(m => TestClient.Str(m, "action") == "presence", TimeSpan.FromMilliseconds(500)));

        await laptop.CloseAsync();
        var offline = await bobClient.WaitForAsync("presence");
        Assert.False(offline.GetProperty("online").GetBoolean());
        await phone.DisposeAsync();
        await laptop.DisposeAsync();
    }

    [Fact]
    public async Task Chat_flows_both_ways_with_receipts_and_acks()
    {
        var alice = await _world.NewUserAsync("alice");
        var bob = await _world.NewUserAsync("bob");
        await _world.MakeFriendsAsync(alice, bob);
        await using var a = await _world.ConnectAsync(alice);
        await using var b = await _world.ConnectAsync(bob);

        await a.SendAsync(new { v = 1, action = "chat.hello", id = "h1", to = bob.Id, key = B64(65) });
        Assert.Equal(alice.Id.ToString(), TestClient.Str(await b.WaitForAsync("chat.hello"), "from"));
        await a.WaitForAsync("chat.receipt", "h1");

        var ciphertext = B64(100);
        await a.SendAsync(new { v = 1, action = "chat.msg", id = "m1", to = bob.Id, ciphertext });
        var received = await b.WaitForAsync("chat.msg");
        Assert.Equal(ciphertext, TestClient.Str(received, "ciphertext"));
        Assert.Equal("m1", TestClient.Str(received, "msgId"));
        var receipt = await a.WaitForAsync("chat.receipt", "m1");
        Assert.Equal(1, receipt.GetProperty("delivered").GetInt32());

        await b.SendAsync(new { v = 1, action = "chat.ack", to = alice.Id, msgId = "m1" });
        Assert.Equal("m1", TestClient.Str(await a.WaitForAsync("chat.ack"), "msgId"));

        await b.SendAsync(new { v = 1, action = "chat.msg", id = "m2", to = alice.Id, ciphertext });
        Assert.Equal(bob.Id.ToString(), TestClient.Str(await a.WaitForAsync("chat.msg"), "from"));
        await b.WaitForAsync("chat.receipt", "m2");
    }

    [Fact]
    public async Task Chat_to_an_offline_friend_or_a_non_friend_is_an_error()
    {
        var alice = await _world.NewUserAsync("alice");
        var bob = await _world.NewUserAsync("bob");
        var mallory = await _world.NewUserAsync("mallory");
        await _world.MakeFriendsAsync(alice, bob);
        await using var a = await _world.ConnectAsync(alice);
        await using var m = await _world.ConnectAsync(mallory);

        await a.SendAsync(new { v = 1, action = "chat.msg", id = "x", to = bob.Id, ciphertext = B64(10) });
        Assert.Equal("friend-offline", TestClient.Str(await a.WaitForAsync("error", "x"), "code"));

        await m.SendAsync(new { v = 1, action = "chat.msg", id = "y", to = alice.Id, ciphertext = B64(10) });
        Assert.Equal("not-friends", TestClient.Str(await m.WaitForAsync("error", "y"), "code"));
        Assert.False(await a.ReceivesWithinAsync(e => TestClient.Str(e, "action") == "chat.msg", TimeSpan.FromMilliseconds(300)));
        await m.PingAsync();
    }

    [Theory]
    [InlineData("{not json", "bad-json")]
    [InlineData("[1,2]", "bad-json")]
    [InlineData("{\"v\":1,\"action\":\"ping\",\"id\":\"q\"} {\"v\":1}", "bad-json")]
    [InlineData("{\"v\":1,\"action\":\"ping\",\"x\":[[[[[[[[[[1]]]]]]]]]]}", "bad-json")]
    [InlineData("{\"v\":1,\"action\":\"teleport\",\"id\":\"q\"}", "unknown-action")]
    [InlineData("{\"v\":2,\"action\":\"ping\",\"id\":\"q\"}", "unsupported-version")]
    [InlineData("{\"v\":1,\"id\":\"q\"}", "bad-request")]
    [InlineData("{\"v\":1,\"action\":\"chat.msg\",\"id\":\"q\",\"to\":\"nope\",\"ciphertext\":\"AA==\"}", "bad-request")]
    public async Task Malformed_messages_get_an_error_and_the_connection_stays_healthy(string body, string code)
    {
        var alice = await _world.NewUserAsync("alice");
        await using var a = await _world.ConnectAsync(alice);
        await a.SendAsync(body);
        Assert.Equal(code, TestClient.Str(await a.WaitForAsync("error"), "code"));
        await a.PingAsync();
    }

    [Fact]
    public async Task Oversize_ciphertext_and_impersonation_are_refused()
    {
        var alice = await _world.NewUserAsync("alice");
        var bob = await _world.NewUserAsync("bob");
        await _world.MakeFriendsAsync(alice, bob);
        await using var a = await _world.ConnectAsync(alice);
        await using var b = await _world.ConnectAsync(bob);

        await a.SendAsync(new { v = 1, action = "chat.msg", id = "big", to = bob.Id, ciphertext = B64((32 * 1024) + 3) });
        Assert.Equal("too-large", TestClient.Str(await a.WaitForAsync("error", "big"), "code"));

        await a.SendAsync(new { v = 1, action = "chat.msg", id = "imp", from = bob.Id, to = bob.Id, ciphertext = B64(4) });
        Assert.Equal("impersonation", TestClient.Str(await a.WaitForAsync("error", "imp"), "code"));
        Assert.False(await b.ReceivesWithinAsync(e => TestClient.Str(e, "action") == "chat.msg", TimeSpan.FromMilliseconds(300)));
        await a.PingAsync();
    }

    [Fact]
    public async Task Flooding_beyond_the_rate_is_refused_then_recovers()
    {
        var alice = await _world.NewUserAsync("alice");
        await using var a = await _world.ConnectAsync(alice);
        for (var i = 0; i < 120; i++)
        {
            await a.SendAsync(new { v = 1, action = "ping", id = "f" + i });
        }

        var limited = await a.WaitForAsync(m => TestClient.Str(m, "code") == "rate-limited");
        Assert.Equal("error", TestClient.Str(limited, "action"));
        await Task.Delay(1100);
        await a.PingAsync();
    }

    [Fact]
    public async Task Over_128KB_closes_with_1009_and_binary_with_1003()
    {
        var alice = await _world.NewUserAsync("alice");
        var big = await _world.ConnectAsync(alice);
        await big.SendAsync(new string('x', (128 * 1024) + 1));
        await big.WaitClosedAsync();
        Assert.Equal(WebSocketCloseStatus.MessageTooBig, big.CloseStatus);

        var binary = await _world.ConnectAsync(alice);
        await binary.Socket.SendAsync(new byte[] { 1, 2, 3 }, WebSocketMessageType.Binary, true, CancellationToken.None);
        await binary.WaitClosedAsync();
        Assert.Equal(WebSocketCloseStatus.InvalidMessageType, binary.CloseStatus);
        await big.DisposeAsync();
        await binary.DisposeAsync();
    }

    [Fact]
    public async Task A_stale_connection_is_deleted_when_posting_to_it_returns_410()
    {
        var alice = await _world.NewUserAsync("alice");
        var bob = await _world.NewUserAsync("bob");
        await _world.MakeFriendsAsync(alice, bob);
        await using var b = await _world.ConnectAsync(bob);
        await b.PingAsync();
        // A connection whose $disconnect was lost: present in DynamoDB, unknown to the gateway.
        await _world.Store.TryAddAsync(new ConnectionRecord("stale0000000=", bob.Id, "bob"), 5, default);
        Assert.Equal(2, (await _world.Store.ListAsync(bob.Id, default)).Count);

        // The handler learns of it when its cached view of bob's connections is refreshed (lookup cache TTL), then
        // the 410 from posting to it deletes it; every message still reaches bob's one live device.
        await using var a = await _world.ConnectAsync(alice);
        var deadline = DateTime.UtcNow.AddSeconds(15);
        for (var n = 0; await _world.Store.GetAsync("stale0000000=", default) is not null; n++)
        {
            Assert.True(DateTime.UtcNow < deadline, "the stale connection was never cleaned up");
            await a.SendAsync(new { v = 1, action = "chat.msg", id = "s" + n, to = bob.Id, ciphertext = B64(8) });
            var receipt = await a.WaitForAsync("chat.receipt", "s" + n);
            Assert.Equal(1, receipt.GetProperty("delivered").GetInt32());
            await Task.Delay(250);
        }

        Assert.Equal([], (await _world.Store.ListAsync(bob.Id, default)).Where(id => id == "stale0000000="));
    }

    [Fact]
    public async Task The_management_api_answers_410_for_unknown_connections()
    {
        using var http = new HttpClient();
        var unknown = new Uri(_world.Gateway.ManagementEndpoint + "/%40connections/" + Uri.EscapeDataString("nope0000000="));
        var post = await http.PostAsync(unknown, new StringContent("{}"));
        Assert.Equal(System.Net.HttpStatusCode.Gone, post.StatusCode);
        var get = await http.GetAsync(unknown);
        Assert.Equal(System.Net.HttpStatusCode.Gone, get.StatusCode);
        _ = JsonDocument.Parse(await get.Content.ReadAsStringAsync());
    }
}
