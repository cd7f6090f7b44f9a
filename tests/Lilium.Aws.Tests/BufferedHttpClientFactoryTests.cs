using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Lilium.Aws.Tests;

[Trait("Category", "Integration")]
public sealed class BufferedHttpClientFactoryTests
{
    [Fact]
    public async Task A_response_is_handed_over_only_once_its_body_has_arrived()
    {
        // A server that sends the headers and half the body, then waits to be told to send the rest.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var rest = new TaskCompletionSource();
        var server = Task.Run(async () =>
        {
            using var socket = await listener.AcceptSocketAsync();
            var request = new byte[4096];
            await socket.ReceiveAsync(request);
            await socket.SendAsync(Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 12\r\n\r\n{\"Items\":"));
            await rest.Task;
            await socket.SendAsync(Encoding.ASCII.GetBytes("[]}"));
        });
        using var factory = new BufferedHttpClientFactory();
        // The factory hands every SDK client config the same client; the config is not consulted.
        var client = factory.CreateHttpClient(null!);

        var response = client.SendAsync(new HttpRequestMessage(HttpMethod.Post, $"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}/"), HttpCompletionOption.ResponseHeadersRead);
        var early = await Task.WhenAny(response, Task.Delay(300));
        rest.SetResult();
        using var message = await response;
        await server;

        // Not handed over with the headers alone: the SDK would then read the rest with blocking Stream.Read calls.
        Assert.NotSame(response, early);
        // And the body is in memory: a synchronous read returns all of it.
        var body = new byte[64];
        var read = (await message.Content.ReadAsStreamAsync()).Read(body);
        Assert.Equal("{\"Items\":[]}", Encoding.ASCII.GetString(body, 0, read));
        Assert.False(factory.UseSDKHttpClientCaching(null!));
        Assert.False(factory.DisposeHttpClientsAfterUse(null!));
        Assert.Same(client, factory.CreateHttpClient(null!));
    }
}
