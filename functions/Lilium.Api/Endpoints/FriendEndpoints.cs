using Lilium.Api.Contracts;
using Lilium.Api.Infrastructure;
using Lilium.Api.Security;
using Lilium.Data.Friends;
using Microsoft.AspNetCore.Http.HttpResults;
using Lilium.Protocol;

namespace Lilium.Api.Endpoints;

internal static class FriendEndpoints
{
    public static void MapFriendEndpoints(this IEndpointRouteBuilder app)
    {
        var friends = app.MapGroup("/v1/friends").RequireAuthorization();
        friends.MapGet("/", List).WithSummary("Friends, requests both ways and blocks the caller placed.");
        friends.MapPost("/requests", Request).WithSummary("Ask a user to be friends (asking back accepts).");
        friends.MapPost("/{userId:guid}/accept", Accept).WithSummary("Accept a pending request from the user.");
        friends.MapPost("/{userId:guid}/decline", Decline).WithSummary("Decline a pending request from the user.");
        friends.MapPost("/{userId:guid}/block", Block).WithSummary("Block the user; grants both ways are removed.");
        friends.MapDelete("/{userId:guid}", Remove).WithSummary("Remove a friend, withdraw a request or lift a block the caller placed.");
        friends.MapGet("/{userId:guid}/grants", GetGrants).WithSummary("The input the caller lets this friend use.");
        friends.MapPut("/{userId:guid}/grants", PutGrants).WithSummary("Set the input the caller lets this friend use.");
    }

    private static async Task<Ok<FriendResponse[]>> List(HttpContext context, FriendshipRepository friendships, CancellationToken ct)
    {
        var list = await friendships.ListAsync(context.User.UserId(), ct);
        return TypedResults.Ok(list.Select(f => f.ToResponse()).ToArray());
    }

    private static async Task<Results<Created<FriendshipResponse>, Ok<FriendshipResponse>, ProblemHttpResult>> Request(
        FriendRequestBody body, HttpContext context, FriendshipRepository friendships, TimeProvider time, CancellationToken ct)
    {
        var outcome = await friendships.RequestAsync(context.User.UserId(), body.UserId, time.GetUtcNow(), ct);
        return outcome switch
        {
            FriendRequestOutcome.Requested => TypedResults.Created($"/v1/friends/{body.UserId}", new FriendshipResponse(body.UserId, "pending")),
            FriendRequestOutcome.AlreadyPending => TypedResults.Ok(new FriendshipResponse(body.UserId, "pending")),
            FriendRequestOutcome.Accepted or FriendRequestOutcome.AlreadyFriends => TypedResults.Ok(new FriendshipResponse(body.UserId, "accepted")),
            FriendRequestOutcome.Self => Problems.Of(ErrorCode.SelfRequest, "You cannot befriend yourself."),
            FriendRequestOutcome.UserNotFound => Problems.Of(ErrorCode.UserNotFound, "No user has this id."),
            _ => Problems.Of(ErrorCode.Blocked, "You cannot send a request to this user."),
        };
    }

    private static async Task<Results<Ok<FriendshipResponse>, ProblemHttpResult>> Accept(
        Guid userId, HttpContext context, FriendshipRepository friendships, TimeProvider time, CancellationToken ct) =>
        await friendships.AcceptAsync(context.User.UserId(), userId, time.GetUtcNow(), ct)
            ? TypedResults.Ok(new FriendshipResponse(userId, "accepted"))
            : Problems.Of(ErrorCode.RequestNotFound, "This user has no pending request to you.");

    private static async Task<Results<Ok<FriendshipResponse>, ProblemHttpResult>> Decline(
        Guid userId, HttpContext context, FriendshipRepository friendships, TimeProvider time, CancellationToken ct) =>
        await friendships.DeclineAsync(context.User.UserId(), userId, time.GetUtcNow(), ct)
            ? TypedResults.Ok(new FriendshipResponse(userId, "declined"))
            : Problems.Of(ErrorCode.RequestNotFound, "This user has no pending request to you.");

    private static async Task<Results<Ok<FriendshipResponse>, ProblemHttpResult>> Block(
        Guid userId, HttpContext context, FriendshipRepository friendships, TimeProvider time, CancellationToken ct)
    {
        var me = context.User.UserId();
        if (me == userId)
        {
            return Problems.Of(ErrorCode.SelfBlock, "You cannot block yourself.");
        }

        return await friendships.BlockAsync(me, userId, time.GetUtcNow(), ct)
            ? TypedResults.Ok(new FriendshipResponse(userId, "blocked"))
            : Problems.Of(ErrorCode.UserNotFound, "No user has this id.");
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> Remove(
        Guid userId, HttpContext context, FriendshipRepository friendships, TimeProvider time, CancellationToken ct) =>
        await friendships.RemoveAsync(context.User.UserId(), userId, time.GetUtcNow(), ct)
            ? TypedResults.NoContent()
            : Problems.Of(ErrorCode.FriendshipNotFound, "There is nothing between you and this user to remove.");

    private static async Task<Results<Ok<GrantsBody>, ProblemHttpResult>> GetGrants(
        Guid userId, HttpContext context, FriendshipRepository friendships, FriendGrantRepository grants, CancellationToken ct)
    {
        var me = context.User.UserId();
        if (!await friendships.AreFriendsAsync(me, userId, ct))
        {
            return Problems.Of(ErrorCode.FriendNotFound, "This user is not your friend.");
        }

        return TypedResults.Ok((await grants.GetAsync(me, userId, ct)).ToBody());
    }

    private static async Task<Results<Ok<GrantsBody>, ProblemHttpResult>> PutGrants(
        Guid userId, GrantsBody body, HttpContext context, FriendGrantRepository grants, TimeProvider time, CancellationToken ct) =>
        await grants.SetAsync(context.User.UserId(), userId, body.ToPermissions(), time.GetUtcNow(), ct)
            ? TypedResults.Ok(body)
            : Problems.Of(ErrorCode.FriendNotFound, "This user is not your friend.");
}
