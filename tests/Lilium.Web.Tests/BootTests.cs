using Microsoft.Playwright;

namespace Lilium.Web.Tests;

/// <summary>Opening the app when the service does not answer: the person reads why, the app never spins forever.</summary>
[Collection(nameof(BrowserCollection))]
[Trait("Category", "Browser")]
public sealed class BootTests(WebStack stack, Browser browser)
{
    [Fact]
    public async Task A_returning_user_whose_api_is_unreachable_reads_the_reason_instead_of_a_blank_screen()
    {
        var nia = await WebUser.RegisterAsync(browser, stack, "nia");

        // The identity is stored; the API now refuses every connection (as when the service is paused or offline).
        await nia.Page.RouteAsync("**/v1/**", route => route.AbortAsync("connectionrefused"));
        await nia.Page.ReloadAsync();

        var alert = nia.Page.GetByRole(AriaRole.Alert);
        await Assertions.Expect(alert).ToContainTextAsync("Could not sign in: the service did not answer", new() { Timeout = 15_000 });
        await Assertions.Expect(alert).ToContainTextAsync("Reload to try again");

        // Once the service answers again, a reload signs the same identity back in.
        await nia.Page.UnrouteAllAsync();
        await nia.Page.ReloadAsync();
        await Assertions.Expect(nia.Page.GetByTestId("me-nickname")).ToHaveTextAsync("nia", new() { Timeout = 30_000 });
    }
}
