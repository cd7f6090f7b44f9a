using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Mvc;

namespace Lilium.Api.Contracts;

/// <summary>
/// Source-generated JSON for every request and response (no reflection: the app is trimmed).
/// Nullable annotations and required constructor parameters are enforced, so a missing or null
/// field is a 400, not a null reference later.
/// </summary>
[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web,
    RespectNullableAnnotations = true,
    RespectRequiredConstructorParameters = true,
    AllowTrailingCommas = false,
    ReadCommentHandling = JsonCommentHandling.Disallow)]
[JsonSerializable(typeof(CreateUserRequest))]
[JsonSerializable(typeof(UserResponse))]
[JsonSerializable(typeof(UserResponse[]))]
[JsonSerializable(typeof(ChallengeRequest))]
[JsonSerializable(typeof(ChallengeResponse))]
[JsonSerializable(typeof(TokenRequest))]
[JsonSerializable(typeof(RefreshRequest))]
[JsonSerializable(typeof(TokenResponse))]
[JsonSerializable(typeof(FriendRequestBody))]
[JsonSerializable(typeof(FriendResponse[]))]
[JsonSerializable(typeof(FriendshipResponse))]
[JsonSerializable(typeof(GrantsBody))]
[JsonSerializable(typeof(CreateSessionRequest))]
[JsonSerializable(typeof(AdmitRequest))]
[JsonSerializable(typeof(SessionResponse))]
[JsonSerializable(typeof(ParticipantResponse[]))]
[JsonSerializable(typeof(CreateInviteRequest))]
[JsonSerializable(typeof(InviteResponse))]
[JsonSerializable(typeof(RedeemInviteRequest))]
[JsonSerializable(typeof(RedeemInviteResponse))]
[JsonSerializable(typeof(RelayGrantResponse))]
[JsonSerializable(typeof(RelayBody))]
[JsonSerializable(typeof(int))]
[JsonSerializable(typeof(HealthResponse))]
[JsonSerializable(typeof(ProblemDetails))]
[JsonSerializable(typeof(HttpValidationProblemDetails))]
public sealed partial class ApiJsonContext : JsonSerializerContext;
