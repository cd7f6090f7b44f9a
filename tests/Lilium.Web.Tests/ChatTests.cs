using Microsoft.Playwright;

namespace Lilium.Web.Tests;

/// <summary>Two people in two browser contexts: first run, friends, end-to-end chat both ways.</summary>
[Collection(nameof(BrowserCollection))]
[Trait("Category", "Browser")]
public sealed class ChatTests(WebStack stack, Browser browser)
{
    [Fact]
    public async Task Two_browsers_register_befriend_and_chat_end_to_end_both_ways()
    {
        var alice = await WebUser.RegisterAsync(browser, stack, "alice", screenshot: "01-first-run");
        var bob = await WebUser.RegisterAsync(browser, stack, "bob");

        await alice.Page.GetByTestId("search-input").FillAsync("bo");
        await alice.Page.GetByTestId("search-button").ClickAsync();
        await alice.Page.GetByTestId("add-bob").ClickAsync();
        await Assertions.Expect(bob.Page.GetByTestId("request-alice")).ToBeVisibleAsync(new() { Timeout = 15_000 });
        await Screenshots.SaveAsync(bob.Page, "02-friend-request");
        await bob.Page.GetByTestId("accept-alice").ClickAsync();
        await Assertions.Expect(alice.Page.GetByTestId("presence-bob")).ToHaveAttributeAsync("data-online", "true", new() { Timeout = 15_000 });
        await Assertions.Expect(bob.Page.GetByTestId("presence-alice")).ToHaveAttributeAsync("data-online", "true", new() { Timeout = 15_000 });

        await alice.OpenChatAsync("bob");
        await alice.SendChatAsync("hello bob, secret 7f3a");
        await Assertions.Expect(alice.Page.GetByTestId("msg-mine").Last).ToHaveAttributeAsync("data-state", new System.Text.RegularExpressions.Regex("delivered|read"));
        await Assertions.Expect(bob.Page.GetByTestId("unread-alice")).ToHaveTextAsync("1");
        await bob.OpenChatAsync("alice");
        await Assertions.Expect(bob.Page.GetByTestId("msg-theirs").Last).ToContainTextAsync("hello bob, secret 7f3a");
        await bob.SendChatAsync("hi alice, reply 9c21");
        await Assertions.Expect(alice.Page.GetByTestId("msg-theirs").Last).ToContainTextAsync("hi alice, reply 9c21");
        // Bob's app acknowledged decrypting Alice's message: she sees it read.
        await Assertions.Expect(alice.Page.GetByTestId("msg-mine").First).ToHaveAttributeAsync("data-state", "read");
        await Assertions.Expect(bob.Page.GetByTestId("msg-mine").Last).ToHaveAttributeAsync("data-state", new System.Text.RegularExpressions.Regex("delivered|read"));
        await Screenshots.SaveAsync(alice.Page, "03-chat");

        // Chat leaves the browsers only as ciphertext; tokens stay out of URLs (the WebSocket is /ws, no query).
        var sent = alice.SentFrames.Concat(bob.SentFrames).ToList();
        Assert.Contains(sent, f => f.Contains("\"chat.msg\""));
        Assert.DoesNotContain(sent, f => f.Contains("secret 7f3a") || f.Contains("reply 9c21"));
        Assert.All(alice.WebSocketUrls.Concat(bob.WebSocketUrls), u => Assert.Equal(new Uri(stack.AppUrl, "/ws").ToString().Replace("http", "ws"), u));
        await alice.Page.Context.CloseAsync();
        await bob.Page.Context.CloseAsync();
    }
}
