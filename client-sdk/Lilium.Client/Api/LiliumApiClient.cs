using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Serialization.Metadata;
using Lilium.Protocol;

namespace Lilium.Client.Api;

/// <summary>
/// The REST API, typed: registration and login with the identity key, then friends, grants,
/// sessions, invites and relay grants. Tokens are kept here and renewed transparently: before
/// they expire, and once more when a call comes back 401 (refresh token, else a new login).
/// Errors arrive as <see cref="LiliumProblemException"/> (the API's RFC 9457 problem, with its
/// code) or <see cref="LiliumUnavailableException"/> (the API cannot be reached).
/// </summary>
public sealed class LiliumApiClient : IDisposable
{
    private static readonly TimeSpan RenewBefore = TimeSpan.FromSeconds(30);

    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private readonly LiliumIdentity _identity;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _tokenGate = new(1, 1);
    private TokenReply? _tokens;

    /// <summary>Talks to the API at <paramref name="baseUrl"/> as <paramref name="identity"/>.</summary>
    /// <param name="baseUrl">The API's base URL, e.g. <c>http://127.0.0.1:5080/</c>.</param>
    /// <param name="identity">The user's key pair.</param>
    /// <param name="http">An HttpClient to use (not disposed here); null for an own one.</param>
    /// <param name="time">The clock (tests); null for the system clock.</param>
    public LiliumApiClient(Uri baseUrl, LiliumIdentity identity, HttpClient? http = null, TimeProvider? time = null)
    {
        BaseUrl = baseUrl;
        _identity = identity;
        _ownsHttp = http is null;
        _http = http ?? new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        _time = time ?? TimeProvider.System;
    }

    /// <summary>The API's base URL.</summary>
    public Uri BaseUrl { get; }

    /// <summary>The logged-in user's id (after <see cref="LoginAsync"/>).</summary>
    public Guid UserId => _tokens?.UserId ?? Guid.Empty;

    /// <summary>
    /// Registers the identity's public key with a nickname (idempotent for the same key), signing the registration
    /// proof (<see cref="RegistrationProof"/>) with the identity's key and this machine's clock.
    /// </summary>
    public async Task<UserInfo> RegisterAsync(string nickname, CancellationToken cancellationToken = default)
    {
        var publicKey = Convert.ToBase64String(_identity.PublicKey);
        var timestamp = _time.GetUtcNow().ToUnixTimeSeconds();
        var signature = Convert.ToBase64String(_identity.Sign(RegistrationProof.Message(publicKey, nickname, timestamp)));
        return (await SendAsync(HttpMethod.Post, "v1/users", new RegisterBody(publicKey, nickname, timestamp, signature),
            ApiJsonContext.Default.RegisterBody, ApiJsonContext.Default.UserInfo, authenticated: false, cancellationToken))!;
    }

    /// <summary>Logs in: asks for a challenge by public key and signs it.</summary>
    public async Task LoginAsync(CancellationToken cancellationToken = default)
    {
        await _tokenGate.WaitAsync(cancellationToken);
        try
        {
            _tokens = await LoginCoreAsync(cancellationToken);
        }
        finally
        {
            _tokenGate.Release();
        }
    }

    /// <summary>A valid access token (renewed if it is about to expire), e.g. for the WebSocket API.</summary>
    public async ValueTask<string> GetAccessTokenAsync(CancellationToken cancellationToken = default)
    {
        var tokens = _tokens;
        if (tokens is not null && tokens.AccessTokenExpiresAt - _time.GetUtcNow() > RenewBefore)
        {
            return tokens.AccessToken;
        }

        return await RenewAsync(tokens, cancellationToken);
    }

    /// <summary>The caller.</summary>
    public Task<UserInfo> MeAsync(CancellationToken cancellationToken = default) =>
        GetAsync("v1/users/me", ApiJsonContext.Default.UserInfo, cancellationToken);

    /// <summary>A user by id (e.g. to pin a friend's identity key for chat).</summary>
    public Task<UserInfo> GetUserAsync(Guid userId, CancellationToken cancellationToken = default) =>
        GetAsync($"v1/users/{userId}", ApiJsonContext.Default.UserInfo, cancellationToken);

    /// <summary>Users whose nickname starts with <paramref name="nickname"/>.</summary>
    public Task<UserInfo[]> SearchByNicknameAsync(string nickname, CancellationToken cancellationToken = default) =>
        GetAsync("v1/users?nickname=" + Uri.EscapeDataString(nickname), ApiJsonContext.Default.UserInfoArray, cancellationToken);

    /// <summary>The user with this key fingerprint (empty if none).</summary>
    public Task<UserInfo[]> SearchByFingerprintAsync(string fingerprint, CancellationToken cancellationToken = default) =>
        GetAsync("v1/users?fingerprint=" + Uri.EscapeDataString(fingerprint), ApiJsonContext.Default.UserInfoArray, cancellationToken);

    /// <summary>Friends, requests both ways, and blocks the caller placed.</summary>
    public Task<FriendInfo[]> ListFriendsAsync(CancellationToken cancellationToken = default) =>
        GetAsync("v1/friends", ApiJsonContext.Default.FriendInfoArray, cancellationToken);

    /// <summary>Asks a user to be friends (asking back accepts); returns the pair's status.</summary>
    public async Task<string> RequestFriendAsync(Guid userId, CancellationToken cancellationToken = default) =>
        (await SendAsync(HttpMethod.Post, "v1/friends/requests", new FriendRequestBody(userId), ApiJsonContext.Default.FriendRequestBody, ApiJsonContext.Default.FriendshipReply, true, cancellationToken))!.Status;

    /// <summary>Accepts a pending request from the user.</summary>
    public Task<string> AcceptFriendAsync(Guid userId, CancellationToken cancellationToken = default) => FriendActionAsync(userId, "accept", cancellationToken);

    /// <summary>Declines a pending request from the user.</summary>
    public Task<string> DeclineFriendAsync(Guid userId, CancellationToken cancellationToken = default) => FriendActionAsync(userId, "decline", cancellationToken);

    /// <summary>Blocks the user.</summary>
    public Task<string> BlockAsync(Guid userId, CancellationToken cancellationToken = default) => FriendActionAsync(userId, "block", cancellationToken);

    /// <summary>Removes a friend, withdraws a request or lifts a block.</summary>
    public Task RemoveFriendAsync(Guid userId, CancellationToken cancellationToken = default) =>
        SendAsync<EmptyBody, EmptyBody>(HttpMethod.Delete, $"v1/friends/{userId}", null, null, null, true, cancellationToken);

    /// <summary>The input the caller lets this friend use in the caller's sessions.</summary>
    public async Task<InputPermissions> GetGrantsAsync(Guid friendId, CancellationToken cancellationToken = default) =>
        (await GetAsync($"v1/friends/{friendId}/grants", ApiJsonContext.Default.PermissionSet, cancellationToken)).ToFlags();

    /// <summary>Sets the input the caller lets this friend use.</summary>
    public async Task<InputPermissions> SetGrantsAsync(Guid friendId, InputPermissions permissions, CancellationToken cancellationToken = default) =>
        (await SendAsync(HttpMethod.Put, $"v1/friends/{friendId}/grants", PermissionSet.From(permissions), ApiJsonContext.Default.PermissionSet, ApiJsonContext.Default.PermissionSet, true, cancellationToken))!.ToFlags();

    /// <summary>Starts hosting a session.</summary>
    public async Task<SessionInfo> CreateSessionAsync(int? maxViewers = null, CancellationToken cancellationToken = default) =>
        (await SendAsync(HttpMethod.Post, "v1/sessions", new CreateSessionBody(maxViewers), ApiJsonContext.Default.CreateSessionBody, ApiJsonContext.Default.SessionInfo, true, cancellationToken))!;

    /// <summary>A session the caller can see.</summary>
    public Task<SessionInfo> GetSessionAsync(Guid sessionId, CancellationToken cancellationToken = default) =>
        GetAsync($"v1/sessions/{sessionId}", ApiJsonContext.Default.SessionInfo, cancellationToken);

    /// <summary>Ends a session the caller hosts.</summary>
    public async Task<SessionInfo> EndSessionAsync(Guid sessionId, CancellationToken cancellationToken = default) =>
        (await SendAsync(HttpMethod.Post, $"v1/sessions/{sessionId}/end", new EmptyBody(), ApiJsonContext.Default.EmptyBody, ApiJsonContext.Default.SessionInfo, true, cancellationToken))!;

    /// <summary>Creates an invite to a session the caller hosts.</summary>
    public async Task<InviteInfo> CreateInviteAsync(Guid sessionId, TimeSpan? lifetime = null, int? maxUses = null, CancellationToken cancellationToken = default) =>
        (await SendAsync(HttpMethod.Post, $"v1/sessions/{sessionId}/invites", new CreateInviteBody((int?)lifetime?.TotalSeconds, maxUses),
            ApiJsonContext.Default.CreateInviteBody, ApiJsonContext.Default.InviteInfo, true, cancellationToken))!;

    /// <summary>Joins a session with an invite code; returns the session id.</summary>
    public async Task<Guid> RedeemInviteAsync(string code, CancellationToken cancellationToken = default) =>
        (await SendAsync(HttpMethod.Post, "v1/invites/redeem", new RedeemBody(code), ApiJsonContext.Default.RedeemBody, ApiJsonContext.Default.RedeemReply, true, cancellationToken))!.SessionId;

    /// <summary>
    /// A relay grant for the session: host for its host, viewer (with the host's input grant) for someone the host
    /// admitted (<c>join.accept</c>, <see cref="AdmitViewerAsync"/>) or who redeemed an invite, while still a participant;
    /// otherwise a <see cref="LiliumProblemException"/> (403 <c>not-admitted</c>, or 404 <c>session-not-found</c>).
    /// </summary>
    /// <remarks>
    /// With a relay fleet, while no relay is live yet (503 <c>relay-starting</c>) this waits — retrying every second —
    /// for at most <see cref="RelayStartTimeout"/>; the overload with a progress callback reports each wait.
    /// </remarks>
    public async Task<RelayGrant> IssueRelayGrantAsync(Guid sessionId, CancellationToken cancellationToken = default) =>
        await IssueRelayGrantAsync(sessionId, null, cancellationToken);

    /// <summary>As <see cref="IssueRelayGrantAsync(Guid, CancellationToken)"/>, reporting each wait for a starting relay to <paramref name="progress"/>.</summary>
    public async Task<RelayGrant> IssueRelayGrantAsync(Guid sessionId, IProgress<RelayStartProgress>? progress, CancellationToken cancellationToken = default)
    {
        var started = _time.GetTimestamp();
        while (true)
        {
            try
            {
                var reply = (await SendAsync(HttpMethod.Post, $"v1/sessions/{sessionId}/relay-grants", new EmptyBody(), ApiJsonContext.Default.EmptyBody, ApiJsonContext.Default.RelayGrantReply, true, cancellationToken))!;
                return new RelayGrant(reply.Token, reply.SessionId, reply.Role, reply.Permissions.ToFlags(), reply.ExpiresAt, reply.Relay);
            }
            catch (LiliumProblemException ex) when (ex.Code == "relay-starting" && _time.GetElapsedTime(started) < RelayStartTimeout)
            {
                progress?.Report(new RelayStartProgress(ex.EtaSeconds ?? 5, _time.GetElapsedTime(started)));
                await Task.Delay(TimeSpan.FromSeconds(1), _time, cancellationToken);
            }
        }
    }

    /// <summary>The longest a grant request waits for a relay to start.</summary>
    public TimeSpan RelayStartTimeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// Tells the control plane this client's media stopped (relay fleet): it re-places the session now if its relay is
    /// gone. The answer says where the session stands; fetch a new grant after it.
    /// </summary>
    public async Task<RelayInfo> RelayCheckAsync(Guid sessionId, CancellationToken cancellationToken = default) =>
        (await SendAsync(HttpMethod.Post, $"v1/sessions/{sessionId}/relay-check", new EmptyBody(), ApiJsonContext.Default.EmptyBody, ApiJsonContext.Default.RelayInfo, true, cancellationToken))!;

    /// <summary>
    /// The host admits an accepted friend as a viewer of <paramref name="sessionId"/> (as accepting their join request
    /// does); the friend then fetches their own grant with <see cref="IssueRelayGrantAsync(Guid, CancellationToken)"/>. Returns the permissions they get.
    /// </summary>
    public async Task<InputPermissions> AdmitViewerAsync(Guid sessionId, Guid userId, CancellationToken cancellationToken = default) =>
        (await SendAsync(HttpMethod.Post, $"v1/sessions/{sessionId}/participants", new FriendRequestBody(userId), ApiJsonContext.Default.FriendRequestBody,
            ApiJsonContext.Default.RelayGrantReply, true, cancellationToken))!.Permissions.ToFlags();

    /// <summary>The host removes (kicks) a viewer; with the caller's own id, the caller leaves. The relay drops their media within a second.</summary>
    public Task RemoveParticipantAsync(Guid sessionId, Guid userId, CancellationToken cancellationToken = default) =>
        SendAsync<EmptyBody, EmptyBody>(HttpMethod.Delete, $"v1/sessions/{sessionId}/participants/{userId}", null, null, null, true, cancellationToken);

    /// <summary>
    /// Ends this login: the server revokes its refresh tokens, drops the user's media peers at the relay and closes
    /// their WebSockets; this client forgets its tokens (log in again to continue).
    /// </summary>
    public async Task LogoutAsync(CancellationToken cancellationToken = default)
    {
        if (_tokens is not { } tokens)
        {
            return;
        }

        await SendAsync<RefreshBody, EmptyBody>(HttpMethod.Post, "v1/auth/logout", new RefreshBody(tokens.RefreshToken), ApiJsonContext.Default.RefreshBody, null, true, cancellationToken);
        _tokens = null;
    }

    /// <summary>Tests: replaces the access token as if the server had revoked or expired it.</summary>
    internal void CorruptAccessTokenForTests()
    {
        if (_tokens is { } t)
        {
            _tokens = t with { AccessToken = t.AccessToken[..^4] + "AAAA" };
        }
    }

    /// <summary>Disposes the HttpClient if this client created it.</summary>
    public void Dispose()
    {
        if (_ownsHttp)
        {
            _http.Dispose();
        }

        _tokenGate.Dispose();
    }

    private async Task<string> FriendActionAsync(Guid userId, string action, CancellationToken cancellationToken) =>
        (await SendAsync(HttpMethod.Post, $"v1/friends/{userId}/{action}", new EmptyBody(), ApiJsonContext.Default.EmptyBody, ApiJsonContext.Default.FriendshipReply, true, cancellationToken))!.Status;

    private async Task<T> GetAsync<T>(string path, JsonTypeInfo<T> reply, CancellationToken cancellationToken) =>
        (await SendAsync<EmptyBody, T>(HttpMethod.Get, path, null, null, reply, true, cancellationToken))!;

    private async Task<TReply?> SendAsync<TBody, TReply>(
        HttpMethod method, string path, TBody? body, JsonTypeInfo<TBody>? bodyType, JsonTypeInfo<TReply>? replyType, bool authenticated, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            using var request = new HttpRequestMessage(method, new Uri(BaseUrl, path));
            if (body is not null && bodyType is not null)
            {
                request.Content = JsonContent.Create(body, bodyType);
            }

            string? token = null;
            if (authenticated)
            {
                token = await GetAccessTokenAsync(cancellationToken);
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            }

            using var response = await SendRawAsync(request, cancellationToken);
            if (response.StatusCode == HttpStatusCode.Unauthorized && authenticated && attempt == 0)
            {
                await RenewAsync(_tokens, cancellationToken, rejected: token); // expired or revoked: renew once, retry
                continue;
            }

            if (!response.IsSuccessStatusCode)
            {
                var text = await response.Content.ReadAsStringAsync(cancellationToken);
                var (code, message) = LiliumProblemException.Read((int)response.StatusCode, text, $"{method} /{path} failed");
                throw new LiliumProblemException((int)response.StatusCode, code, message) { EtaSeconds = LiliumProblemException.ReadEta(text) };
            }

            if (replyType is null || response.StatusCode == HttpStatusCode.NoContent)
            {
                return default;
            }

            return await response.Content.ReadFromJsonAsync(replyType, cancellationToken)
                ?? throw new LiliumException($"{method} /{path} returned an empty body.");
        }
    }

    private async Task<HttpResponseMessage> SendRawAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        try
        {
            return await _http.SendAsync(request, cancellationToken);
        }
        catch (HttpRequestException ex)
        {
            throw new LiliumUnavailableException($"The API at {BaseUrl} cannot be reached: {ex.Message}", ex);
        }
        catch (TaskCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new LiliumUnavailableException($"The API at {BaseUrl} did not answer in time.", ex);
        }
    }

    // One renewal at a time: refresh if the refresh token is still good, else log in again.
    private async Task<string> RenewAsync(TokenReply? seen, CancellationToken cancellationToken, string? rejected = null)
    {
        await _tokenGate.WaitAsync(cancellationToken);
        try
        {
            var current = _tokens;
            if (current is not null && !ReferenceEquals(current, seen) && current.AccessToken != rejected
                && current.AccessTokenExpiresAt - _time.GetUtcNow() > RenewBefore)
            {
                return current.AccessToken; // someone else renewed meanwhile
            }

            if (current is not null && current.RefreshTokenExpiresAt > _time.GetUtcNow())
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(BaseUrl, "v1/auth/refresh"))
                {
                    Content = JsonContent.Create(new RefreshBody(current.RefreshToken), ApiJsonContext.Default.RefreshBody),
                };
                using var response = await SendRawAsync(request, cancellationToken);
                if (response.IsSuccessStatusCode && await response.Content.ReadFromJsonAsync(ApiJsonContext.Default.TokenReply, cancellationToken) is { } renewed)
                {
                    _tokens = renewed;
                    return renewed.AccessToken;
                }
            }

            _tokens = await LoginCoreAsync(cancellationToken);
            return _tokens.AccessToken;
        }
        finally
        {
            _tokenGate.Release();
        }
    }

    private async Task<TokenReply> LoginCoreAsync(CancellationToken cancellationToken)
    {
        using var challengeRequest = new HttpRequestMessage(HttpMethod.Post, new Uri(BaseUrl, "v1/auth/challenge"))
        {
            Content = JsonContent.Create(new ChallengeBody(null, Convert.ToBase64String(_identity.PublicKey)), ApiJsonContext.Default.ChallengeBody),
        };
        using var challengeResponse = await SendRawAsync(challengeRequest, cancellationToken);
        var challenge = await ReadOrThrowAsync(challengeResponse, ApiJsonContext.Default.ChallengeReply, "login challenge", cancellationToken);
        var signature = _identity.Sign(Convert.FromBase64String(challenge.SignedData));
        using var tokenRequest = new HttpRequestMessage(HttpMethod.Post, new Uri(BaseUrl, "v1/auth/token"))
        {
            Content = JsonContent.Create(new TokenBody(challenge.ChallengeId, Convert.ToBase64String(signature)), ApiJsonContext.Default.TokenBody),
        };
        using var tokenResponse = await SendRawAsync(tokenRequest, cancellationToken);
        return await ReadOrThrowAsync(tokenResponse, ApiJsonContext.Default.TokenReply, "login", cancellationToken);
    }

    private static async Task<T> ReadOrThrowAsync<T>(HttpResponseMessage response, JsonTypeInfo<T> type, string what, CancellationToken cancellationToken)
    {
        if (!response.IsSuccessStatusCode)
        {
            var (code, message) = LiliumProblemException.Read((int)response.StatusCode, await response.Content.ReadAsStringAsync(cancellationToken), what + " failed");
            throw new LiliumProblemException((int)response.StatusCode, code, message);
        }

        return await response.Content.ReadFromJsonAsync(type, cancellationToken) ?? throw new LiliumException(what + " returned an empty body.");
    }
}
