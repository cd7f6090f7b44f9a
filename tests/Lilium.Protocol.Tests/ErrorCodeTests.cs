using System.Text.Json;
using Lilium.Protocol;
using Lilium.Protocol.Signaling;

namespace Lilium.Protocol.Tests;

[Trait("Category", "Unit")]
public sealed class ErrorCodeTests
{
    [Fact]
    public void Every_code_has_exactly_one_row_whose_name_is_the_kebab_case_of_the_member()
    {
        var values = Enum.GetValues<ErrorCode>();
        Assert.Equal(values.Length, ErrorCodes.All.Count);
        foreach (var code in values)
        {
            var row = code.Info();
            Assert.Equal(code, row.Code);
            Assert.Equal(JsonNamingPolicy.KebabCaseLower.ConvertName(code.ToString()), row.Name);
            Assert.InRange(row.Status, 400, 599);
            Assert.False(string.IsNullOrWhiteSpace(row.Title));
        }

        Assert.Equal(values.Length, ErrorCodes.All.Select(r => r.Name).Distinct(StringComparer.Ordinal).Count());
    }

    [Theory]
    [InlineData("not-friends", ErrorCode.NotFriends, 403)]
    [InlineData("rate-limited", ErrorCode.RateLimited, 429)]
    [InlineData("session-ended", ErrorCode.SessionEnded, 410)]
    [InlineData("draining", ErrorCode.Draining, 503)]
    public void Wire_names_parse_back_with_their_status(string name, ErrorCode code, int status)
    {
        Assert.True(ErrorCodes.TryParse(name, out var parsed));
        Assert.Equal(code, parsed);
        Assert.Equal(status, parsed.HttpStatus());
        Assert.Equal(name, parsed.WireName());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("NOT-FRIENDS")]
    [InlineData("not_friends")]
    public void Unknown_names_do_not_parse(string? name) => Assert.False(ErrorCodes.TryParse(name, out _));

    [Fact]
    public void Denial_reasons_round_trip_and_unknown_ones_are_refused()
    {
        foreach (var reason in Enum.GetValues<DenialReason>())
        {
            Assert.True(DenialReasons.TryParse(reason.WireName(), out var back));
            Assert.Equal(reason, back);
            Assert.Equal(JsonNamingPolicy.KebabCaseLower.ConvertName(reason.ToString()), reason.WireName());
        }

        Assert.False(DenialReasons.TryParse("nope", out _));
        Assert.False(DenialReasons.TryParse(null, out _));
    }

    [Fact]
    public void Denials_never_say_blocked_or_not_friends()
    {
        // A denial must not reveal a block or a friendship: whoever may not know of a session hears no-session.
        Assert.DoesNotContain("blocked", DenialReasons.All);
        Assert.DoesNotContain("not-friends", DenialReasons.All);
        Assert.False(DenialReasons.TryParse("blocked", out _));
    }

    [Fact]
    public void End_reasons_round_trip_and_unknown_ones_are_refused()
    {
        foreach (var reason in Enum.GetValues<EndReason>())
        {
            Assert.True(EndReasons.TryParse(reason.WireName(), out var back));
            Assert.Equal(reason, back);
            Assert.Equal(JsonNamingPolicy.KebabCaseLower.ConvertName(reason.ToString()), reason.WireName());
        }

        Assert.Equal("host-gone", EndReason.HostGone.WireName());
        Assert.False(EndReasons.TryParse("nope", out _));
        Assert.False(EndReasons.TryParse(null, out _));
    }
}
