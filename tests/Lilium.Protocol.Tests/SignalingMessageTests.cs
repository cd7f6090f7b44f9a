using System.Text;
using System.Text.Json;
using Lilium.Protocol;
using Lilium.Protocol.Control;
using Lilium.Protocol.Signaling;

namespace Lilium.Protocol.Tests;

[Trait("Category", "Unit")]
public sealed class SignalingMessageTests
{
    private static readonly Guid A = Guid.Parse("0193a000-0000-7000-8000-000000000001");
    private static readonly Guid B = Guid.Parse("0193a000-0000-7000-8000-000000000002");

    [Fact]
    public void Messages_start_with_version_action_and_id_and_omit_absent_fields()
    {
        var json = Encoding.UTF8.GetString(SignalingJson.ToUtf8(new ToServer.JoinRequest(A) { Id = "j" }));
        Assert.Equal($$"""{"v":1,"action":"join.request","id":"j","session":"{{A}}"}""", json);

        json = Encoding.UTF8.GetString(SignalingJson.ToUtf8(new ToClient.ChatMsg(B, "AAAA", "m1")));
        Assert.Equal($$"""{"v":1,"action":"chat.msg","from":"{{B}}","ciphertext":"AAAA","msgId":"m1"}""", json);
    }

    [Fact]
    public void An_end_of_candidates_null_is_written_not_omitted()
    {
        using var doc = JsonDocument.Parse("""{"candidate":null}""");
        var json = Encoding.UTF8.GetString(SignalingJson.ToUtf8(new ToClient.RtcIce(A, B, doc.RootElement.GetProperty("candidate"))));
        Assert.Contains("\"candidate\":null", json, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_catalogued_action_has_a_message_type_with_that_action()
    {
        foreach (var action in SignalingProtocol.ClientActions)
        {
            Assert.NotNull(SignalingJson.ToServerType(action));
        }

        foreach (var action in SignalingProtocol.ServerActions)
        {
            Assert.NotNull(SignalingJson.ToClientType(action));
        }

        Assert.Null(SignalingJson.ToServerType("pong"));
        Assert.Null(SignalingJson.ToClientType("ping"));
        Assert.Equal(SignalingProtocol.ClientActions.Count, SignalingProtocol.ClientActions.Distinct().Count());
    }

    [Fact]
    public void Lifecycle_messages_carry_their_fields()
    {
        var json = Encoding.UTF8.GetString(SignalingJson.ToUtf8(new ToClient.SessionEnded(A, B, EndReason.HostGone.WireName())));
        Assert.Equal($$"""{"v":1,"action":"session.ended","session":"{{A}}","host":"{{B}}","reason":"host-gone"}""", json);

        json = Encoding.UTF8.GetString(SignalingJson.ToUtf8(new ToClient.SessionKicked(A) { Id = "k", Viewer = B, Delivered = 1 }));
        Assert.Equal($$"""{"v":1,"action":"session.kicked","id":"k","session":"{{A}}","viewer":"{{B}}","delivered":1}""", json);

        json = Encoding.UTF8.GetString(SignalingJson.ToUtf8(new ToClient.SessionLeft(A, B, LeaveReasons.Disconnected)));
        Assert.Equal($$"""{"v":1,"action":"session.left","session":"{{A}}","viewer":"{{B}}","reason":"disconnected"}""", json);

        json = Encoding.UTF8.GetString(SignalingJson.ToUtf8(new ToClient.SessionRelay(A, RelayStates.Moved) { RelayId = "local-2" }));
        Assert.Equal($$"""{"v":1,"action":"session.relay","session":"{{A}}","state":"moved","relayId":"local-2"}""", json);
        json = Encoding.UTF8.GetString(SignalingJson.ToUtf8(new ToClient.SessionRelay(A, RelayStates.Starting) { EtaSeconds = 5 }));
        Assert.Equal($$"""{"v":1,"action":"session.relay","session":"{{A}}","state":"starting","etaSeconds":5}""", json);

        using var kick = JsonDocument.Parse($$"""{"action":"session.kick","session":"{{A}}","viewer":"{{B}}"}""");
        Assert.True(SignalingJson.TryRead(kick.RootElement, out ToServer.SessionKick? read));
        Assert.Equal((A, B), (read!.Session, read.Viewer));

        using var bad = JsonDocument.Parse($$"""{"action":"session.kick","session":"{{A}}"}""");
        Assert.False(SignalingJson.TryRead(bad.RootElement, out ToServer.SessionKick? _));
    }

    [Theory]
    [InlineData("""{"action":"grant.update","viewer":"0193a000-0000-7000-8000-000000000002","permissions":{"mouse":true}}""", true)]
    [InlineData("""{"action":"grant.update","viewer":"0193a000-0000-7000-8000-000000000002","permissions":{}}""", true)]
    [InlineData("""{"action":"grant.update","viewer":"0193a000-0000-7000-8000-000000000002"}""", false)]
    [InlineData("""{"action":"grant.update","viewer":"0193a000-0000-7000-8000-000000000002","permissions":{"mouse":"yes"}}""", false)]
    [InlineData("""{"action":"grant.update","viewer":"0193a000-0000-7000-8000-000000000002","permissions":null}""", false)]
    [InlineData("""{"action":"grant.update","viewer":42,"permissions":{}}""", false)]
    [InlineData("""{"action":"grant.update","viewer":"not a uuid","permissions":{}}""", false)]
    [InlineData("""[1,2]""", false)]
    public void Reading_a_client_message_reports_bad_fields_without_throwing(string json, bool ok)
    {
        using var doc = JsonDocument.Parse(json);
        Assert.Equal(ok, SignalingJson.TryRead(doc.RootElement, out ToServer.GrantUpdate? update));
        if (ok)
        {
            Assert.Equal(B, update!.Viewer);
            Assert.False(update.Permissions.Keyboard);
        }
    }

    [Fact]
    public void A_missing_required_string_is_refused()
    {
        using var doc = JsonDocument.Parse("""{"action":"chat.msg","to":"0193a000-0000-7000-8000-000000000002"}""");
        Assert.False(SignalingJson.TryRead(doc.RootElement, out ToServer.ChatMsg? _));
    }

    [Fact]
    public void Permissions_have_one_json_form_and_round_trip_every_flag_combination()
    {
        for (var bits = 0; bits < 16; bits++)
        {
            var flags = (InputPermissions)bits;
            var set = PermissionSet.From(flags);
            Assert.Equal(flags, set.ToFlags());
            var json = JsonSerializer.Serialize(set, ProtocolJsonContext.Default.PermissionSet);
            Assert.Equal(flags, JsonSerializer.Deserialize(json, ProtocolJsonContext.Default.PermissionSet)!.ToFlags());
        }

        Assert.Equal("""{"keyboard":true,"mouse":false,"controller":true,"immersion":false}""",
            JsonSerializer.Serialize(PermissionSet.From(InputPermissions.Keyboard | InputPermissions.Controller), ProtocolJsonContext.Default.PermissionSet));
        Assert.False(((InputPermissions)0x10).IsValid());
        Assert.True(InputPermissionsExtensions.ValidMask.IsValid());
    }

    [Fact]
    public void Control_messages_round_trip_and_hostile_bytes_give_null()
    {
        var viewer = Guid.NewGuid();
        var json = ControlMessage.WithPermissions(ControlTypes.Grant, viewer, InputPermissions.Mouse).ToJson();
        Assert.Equal($$$"""{"type":"grant","viewer":"{{{viewer}}}","permissions":{"keyboard":false,"mouse":true,"controller":false,"immersion":false}}""", json);
        var back = ControlMessage.TryParse(Encoding.UTF8.GetBytes(json));
        Assert.Equal(InputPermissions.Mouse, back!.Permissions!.ToFlags());

        Assert.Null(ControlMessage.TryParse("not json"u8));
        Assert.Null(ControlMessage.TryParse("""{"viewer":"x"}"""u8));
        Assert.Null(ControlMessage.TryParse("""{"type":"grant","permissions":{"mouse":1}}"""u8));
        Assert.Null(ControlMessage.TryParse(new byte[DataChannels.MaxControlMessageBytes + 1]));
        var random = new Random(7);
        for (var i = 0; i < 2000; i++)
        {
            var bytes = new byte[random.Next(0, 64)];
            random.NextBytes(bytes);
            _ = ControlMessage.TryParse(bytes); // never throws
        }

        Assert.Equal("""{"type":"error","code":"unknown-type","detail":"x"}""", ControlMessage.Failure(ErrorCode.UnknownType, "x").ToJson());
    }

    [Theory]
    [InlineData("""{"type":"video"}""", false, null, null)]
    [InlineData("""{"type":"video","paused":true}""", true, null, null)]
    [InlineData("""{"type":"video","paused":false,"maxWidth":1280,"maxHeight":720}""", false, 1280, 720)]
    [InlineData("""{"type":"video","maxWidth":1,"maxHeight":16384}""", false, 1, 16384)]
    [InlineData("""{"type":"video","maxHeight":null}""", false, null, null)]
    public void A_video_hint_parses_and_every_field_is_optional(string json, bool paused, int? maxWidth, int? maxHeight)
    {
        var hint = ControlMessage.TryParse(Encoding.UTF8.GetBytes(json))!;
        Assert.Equal(ControlTypes.Video, hint.Type);
        Assert.Equal(paused, hint.Paused ?? false);
        Assert.Equal(maxWidth, hint.MaxWidth);
        Assert.Equal(maxHeight, hint.MaxHeight);
        Assert.Null(hint.VideoProblem());
    }

    [Theory]
    [InlineData("""{"type":"video","maxWidth":0}""")]
    [InlineData("""{"type":"video","maxWidth":-1280}""")]
    [InlineData("""{"type":"video","maxHeight":16385}""")]
    [InlineData("""{"type":"video","maxWidth":2147483647}""")]
    public void A_video_hint_outside_the_range_names_its_problem(string json)
    {
        var hint = ControlMessage.TryParse(Encoding.UTF8.GetBytes(json))!;
        Assert.Contains("maxWidth and maxHeight", hint.VideoProblem(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"type":"video","maxWidth":"1280"}""")]
    [InlineData("""{"type":"video","maxWidth":1280.5}""")]
    [InlineData("""{"type":"video","maxWidth":99999999999}""")]
    [InlineData("""{"type":"video","paused":"yes"}""")]
    [InlineData("""{"type":"video","paused":1}""")]
    public void A_video_hint_of_the_wrong_json_types_is_no_message(string json)
    {
        Assert.Null(ControlMessage.TryParse(Encoding.UTF8.GetBytes(json)));
    }

    [Fact]
    public void The_video_answer_carries_the_hint_in_force()
    {
        Assert.Equal("""{"type":"video.applied","paused":true,"maxWidth":640}""", ControlMessage.VideoHint(ControlTypes.VideoApplied, true, 640, null).ToJson());
        Assert.Equal([ControlTypes.Video], ControlTypes.FromViewer);
        Assert.Contains(ControlTypes.Error, ControlTypes.ToViewer);
        Assert.Equal(ControlTypes.All.Count, ControlTypes.All.Distinct().Count());
    }
}
