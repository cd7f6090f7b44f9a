using System.Globalization;
using Lilium.Data.Migrations;
using Lilium.Lambda.CustomResources;
using Lilium.Lambda.Runtime;

namespace Lilium.Api;

/// <summary>
/// The database migrations as a CloudFormation custom resource: the api bundle run with the Lambda
/// handler <c>migrate</c> (the stack's Migrations function). <c>Create</c> and <c>Update</c> apply
/// pending migrations (they run under an advisory lock, so concurrent deploys and starts are safe);
/// <c>Delete</c> keeps the data: the database's own removal policy decides its fate.
/// </summary>
public static class MigrationsFunction
{
    /// <summary>The Lambda handler name (the <c>_HANDLER</c> variable) that selects this function in the api bundle.</summary>
    public const string HandlerName = "migrate";

    /// <summary>One physical id for the life of the stack: updates never replace (and so never "delete") it.</summary>
    public const string PhysicalResourceId = "lilium-database-migrations";

    public static Task<int> RunAsync() =>
        LambdaRuntime.FromEnvironment().RunAsync(_ => Task.FromResult<ILambdaHandler>(
            new CustomResourceHandler((request, ct) => ApplyAsync(request, Environment.GetEnvironmentVariable, ct), new HttpClient(), LambdaLog.ToStdout())), default);

    /// <summary>Does what <paramref name="request"/> asks of the migrations resource.</summary>
    public static async Task<CustomResourceOutcome> ApplyAsync(CustomResourceRequest request, Func<string, string?> variable, CancellationToken cancellationToken)
    {
        switch (request.RequestType)
        {
            case "Delete":
                return new CustomResourceOutcome(request.PhysicalResourceId ?? PhysicalResourceId);
            case "Create" or "Update":
                var (applied, _) = await ApiApp.ApplyMigrationsAsync(variable, cancellationToken);
                return new CustomResourceOutcome(PhysicalResourceId, new Dictionary<string, string>
                {
                    ["Applied"] = string.Join(',', applied.Select(v => v.ToString(CultureInfo.InvariantCulture))),
                    ["Version"] = Migrator.All.Max(m => m.Version).ToString(CultureInfo.InvariantCulture),
                });

            default:
                throw new InvalidOperationException($"Unknown RequestType '{request.RequestType}'.");
        }
    }
}
