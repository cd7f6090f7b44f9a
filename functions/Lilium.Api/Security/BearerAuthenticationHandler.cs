using System.Security.Claims;
using System.Text.Encodings.Web;
using Lilium.Auth;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Lilium.Protocol;

namespace Lilium.Api.Security;

/// <summary>
/// <c>Authorization: Bearer &lt;access token&gt;</c> (RFC 6750 §2.1), nothing else: no query-string
/// or cookie credentials, and a public key never authenticates anyone. A refused request gets a 401
/// problem whose <c>code</c> says why (missing, malformed, expired, bad signature, wrong kind).
/// </summary>
internal sealed class BearerAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    TokenService tokens,
    IProblemDetailsService problems)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Bearer";
    public const string NicknameClaim = "nick";
    private const string FailureKey = "lilium.auth.failure";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (header.Length == 0)
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return Fail(ErrorCode.InvalidToken.WireName(), "Use the Authorization: Bearer scheme.");
        }

        var error = tokens.Access.TryRead(header["Bearer ".Length..].Trim(), out AccessClaims? claims);
        if (error != TokenError.None || claims is null)
        {
            return error switch
            {
                TokenError.Expired => Fail(ErrorCode.TokenExpired.WireName(), "The access token has expired; refresh it."),
                TokenError.WrongKind => Fail(ErrorCode.InvalidToken.WireName(), "This is not an access token."),
                TokenError.BadSignature => Fail(ErrorCode.InvalidToken.WireName(), "The access token's signature is not valid."),
                TokenError.NotYetValid => Fail(ErrorCode.InvalidToken.WireName(), "The access token is not valid yet."),
                _ => Fail(ErrorCode.InvalidToken.WireName(), "The access token is malformed."),
            };
        }

        var identity = new ClaimsIdentity(
            [new Claim(ClaimTypes.NameIdentifier, claims.Subject.ToString()), new Claim(NicknameClaim, claims.Nickname)],
            SchemeName);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var (code, detail) = Context.Items[FailureKey] as (string, string)? ?? (ErrorCode.Unauthenticated.WireName(), "Send an access token: Authorization: Bearer <token>.");
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = code == ErrorCode.Unauthenticated.WireName() ? "Bearer" : $"Bearer error=\"invalid_token\", error_description=\"{detail}\"";
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = Context,
            ProblemDetails = new ProblemDetails { Status = StatusCodes.Status401Unauthorized, Detail = detail, Extensions = { ["code"] = code } },
        });
    }

    private Task<AuthenticateResult> Fail(string code, string detail)
    {
        Context.Items[FailureKey] = (code, detail);
        return Task.FromResult(AuthenticateResult.Fail(detail));
    }
}
