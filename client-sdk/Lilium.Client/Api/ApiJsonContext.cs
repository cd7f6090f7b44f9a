using System.Text.Json;
using System.Text.Json.Serialization;

namespace Lilium.Client.Api;

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(UserInfo))]
[JsonSerializable(typeof(UserInfo[]))]
[JsonSerializable(typeof(FriendInfo[]))]
[JsonSerializable(typeof(SessionInfo))]
[JsonSerializable(typeof(InviteInfo))]
[JsonSerializable(typeof(ChallengeBody))]
[JsonSerializable(typeof(ChallengeReply))]
[JsonSerializable(typeof(TokenBody))]
[JsonSerializable(typeof(RefreshBody))]
[JsonSerializable(typeof(TokenReply))]
[JsonSerializable(typeof(RegisterBody))]
[JsonSerializable(typeof(FriendRequestBody))]
[JsonSerializable(typeof(FriendshipReply))]
[JsonSerializable(typeof(Lilium.Protocol.PermissionSet))]
[JsonSerializable(typeof(CreateSessionBody))]
[JsonSerializable(typeof(CreateInviteBody))]
[JsonSerializable(typeof(RedeemBody))]
[JsonSerializable(typeof(RedeemReply))]
[JsonSerializable(typeof(RelayGrantReply))]
[JsonSerializable(typeof(RelayInfo))]
[JsonSerializable(typeof(EmptyBody))]
internal sealed partial class ApiJsonContext : JsonSerializerContext;
