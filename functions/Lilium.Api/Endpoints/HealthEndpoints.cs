using Lilium.Api.Contracts;
using Lilium.Api.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using Lilium.Protocol;

namespace Lilium.Api.Endpoints;

internal static class HealthEndpoints
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(3);

    public static void MapHealthEndpoints(this IEndpointRouteBuilder app) =>
        app.MapGet("/health", Health).AllowAnonymous().WithSummary("200 when the database answers, else 503.");

    private static async Task<Results<Ok<HealthResponse>, ProblemHttpResult>> Health(HttpContext context, NpgsqlDataSource db, CancellationToken ct)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(Timeout);
        try
        {
            await using var cmd = db.CreateCommand("SELECT 1");
            await cmd.ExecuteScalarAsync(cts.Token);
            return TypedResults.Ok(new HealthResponse("ok"));
        }
        catch (Exception e) when (Lilium.Data.PostgresErrors.IsUnavailable(e) || (e is OperationCanceledException && !ct.IsCancellationRequested))
        {
            context.Response.Headers.RetryAfter = ApiExceptionHandler.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return Problems.Of(ErrorCode.DatabaseUnavailable, "The database does not answer.");
        }
    }
}
