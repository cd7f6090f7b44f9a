using System.Collections.Concurrent;
using System.Text.Json;
using Lilium.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Npgsql;

namespace Lilium.Lambda.Tests;

/// <summary>
/// The stack's migrations custom resource as CloudFormation drives it: the published api bootstrap
/// started with the handler <c>migrate</c> (as the Migrations function is), custom resource events
/// from the Runtime API emulator, and a pre-signed-URL stand-in that records the PUT CloudFormation
/// would receive.
/// </summary>
[Trait("Category", "Integration")]
public sealed class MigrationsResourceTests(PostgresFixture postgres, PublishedBootstrap bootstrap)
    : IClassFixture<PostgresFixture>, IClassFixture<PublishedBootstrap>
{
    [Fact]
    public async Task Create_applies_every_migration_update_is_idempotent_and_delete_keeps_the_data()
    {
        var database = await postgres.CreateDatabaseAsync("cfn");
        await using var responses = await ResponseEndpoint.StartAsync();
        await using var emulator = await LambdaRuntimeEmulator.StartAsync();
        await using var function = Start(emulator, PostgresFixture.ToUrl(database));

        var created = await InvokeAsync(emulator, responses, "Create", physicalId: null);
        Assert.True(created.GetProperty("Status").GetString() == "SUCCESS", created.ToString());
        Assert.Equal("lilium-database-migrations", created.GetProperty("PhysicalResourceId").GetString());
        Assert.Equal("DatabaseMigrations", created.GetProperty("LogicalResourceId").GetString());
        var versions = await AppliedVersionsAsync(database);
        Assert.NotEmpty(versions);
        Assert.Equal(string.Join(',', versions), created.GetProperty("Data").GetProperty("Applied").GetString());
        Assert.Equal(versions.Max().ToString(System.Globalization.CultureInfo.InvariantCulture), created.GetProperty("Data").GetProperty("Version").GetString());

        // A later deploy with new code: nothing pending, same physical id (CloudFormation would otherwise delete it).
        var updated = await InvokeAsync(emulator, responses, "Update", "lilium-database-migrations");
        Assert.Equal("SUCCESS", updated.GetProperty("Status").GetString());
        Assert.Equal("lilium-database-migrations", updated.GetProperty("PhysicalResourceId").GetString());
        Assert.Equal("", updated.GetProperty("Data").GetProperty("Applied").GetString());

        await using (var conn = new NpgsqlConnection(database))
        {
            await conn.OpenAsync();
            await using var insert = new NpgsqlCommand("INSERT INTO users (id, public_key, key_fingerprint, nickname, created_at) "
                + "VALUES (gen_random_uuid(), decode(repeat('ab', 64), 'hex'), repeat('0', 64), 'kept', now())", conn);
            await insert.ExecuteNonQueryAsync();
        }

        var deleted = await InvokeAsync(emulator, responses, "Delete", "lilium-database-migrations");
        Assert.Equal("SUCCESS", deleted.GetProperty("Status").GetString());
        Assert.Equal(versions, await AppliedVersionsAsync(database));
        await using (var conn = new NpgsqlConnection(database))
        {
            await conn.OpenAsync();
            await using var count = new NpgsqlCommand("SELECT count(*) FROM users WHERE nickname = 'kept'", conn);
            Assert.Equal(1L, await count.ExecuteScalarAsync());
        }

        // The pre-signed URL carries no content type; sending one would break its signature.
        Assert.All(responses.ContentTypes, Assert.Null);
    }

    [Fact]
    public async Task An_unreachable_database_is_reported_as_FAILED_with_the_reason_not_left_hanging()
    {
        await using var responses = await ResponseEndpoint.StartAsync();
        await using var emulator = await LambdaRuntimeEmulator.StartAsync();
        await using var function = Start(emulator, "postgres://nobody:secret@127.0.0.1:1/none?Timeout=3");

        var failed = await InvokeAsync(emulator, responses, "Create", physicalId: null);
        Assert.Equal("FAILED", failed.GetProperty("Status").GetString());
        var reason = failed.GetProperty("Reason").GetString()!;
        Assert.InRange(reason.Length, 10, 1000);
        Assert.DoesNotContain("secret", reason, StringComparison.Ordinal);
        Assert.False(function.HasExited, function.Output);
    }

    [Fact]
    public async Task An_event_that_is_not_a_custom_resource_request_is_a_lambda_error()
    {
        await using var emulator = await LambdaRuntimeEmulator.StartAsync();
        await using var function = Start(emulator, "postgres://nobody:x@127.0.0.1:1/none");

        var result = await emulator.InvokeAsync("{\"RequestType\":\"Create\",\"ResponseURL\":\"file:///etc/passwd\"}");
        Assert.True(result.IsError, result.Text);
        var garbage = await emulator.InvokeAsync("[1,2");
        Assert.True(garbage.IsError, garbage.Text);
        Assert.False(function.HasExited, function.Output);
    }

    private LambdaFunctionProcess Start(LambdaRuntimeEmulator emulator, string databaseUrl) =>
        LambdaFunctionProcess.Start(emulator, bootstrap.Path, [], new Dictionary<string, string?>
        {
            ["_HANDLER"] = "migrate",
            ["DATABASE_URL"] = databaseUrl,
            ["HOME"] = Path.GetTempPath(),
        });

    private static async Task<JsonElement> InvokeAsync(LambdaRuntimeEmulator emulator, ResponseEndpoint responses, string type, string? physicalId)
    {
        var requestId = Guid.NewGuid().ToString();
        var request = new Dictionary<string, object?>
        {
            ["RequestType"] = type,
            ["ResponseURL"] = $"{responses.Url}/cloudformation/{requestId}?X-Amz-Signature=abc",
            ["StackId"] = "arn:aws:cloudformation:us-east-1:123456789012:stack/LiliumShare/1",
            ["RequestId"] = requestId,
            ["ResourceType"] = "Custom::LiliumMigrations",
            ["LogicalResourceId"] = "DatabaseMigrations",
            ["ResourceProperties"] = new Dictionary<string, string> { ["ServiceToken"] = "arn:aws:lambda:us-east-1:123456789012:function:m", ["BundleSha256"] = "00" },
        };
        if (physicalId is not null)
        {
            request["PhysicalResourceId"] = physicalId;
        }

        var result = await emulator.InvokeAsync(JsonSerializer.Serialize(request), new LambdaInvokeOptions { Timeout = TimeSpan.FromMinutes(1) });
        Assert.False(result.IsError, result.Text);
        var body = Assert.Contains(requestId, (IDictionary<string, string>)responses.Bodies);
        var response = JsonDocument.Parse(body).RootElement.Clone();
        Assert.Equal(requestId, response.GetProperty("RequestId").GetString());
        Assert.Equal(request["StackId"], response.GetProperty("StackId").GetString());
        return response;
    }

    private static async Task<int[]> AppliedVersionsAsync(string database)
    {
        await using var conn = new NpgsqlConnection(database);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT version FROM schema_migrations ORDER BY version", conn);
        var versions = new List<int>();
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            versions.Add(reader.GetInt32(0));
        }

        return versions.ToArray();
    }

    /// <summary>Stands in for CloudFormation's pre-signed S3 URL: records each PUT by request id.</summary>
    private sealed class ResponseEndpoint : IAsyncDisposable
    {
        private readonly WebApplication _app;

        private ResponseEndpoint(WebApplication app) => _app = app;

        public ConcurrentDictionary<string, string> Bodies { get; } = new();

        public ConcurrentQueue<string?> ContentTypes { get; } = new();

        public string Url => _app.Urls.First();

        public static async Task<ResponseEndpoint> StartAsync()
        {
            var app = LoopbackWebApp.Create();
            var endpoint = new ResponseEndpoint(app);
            app.MapPut("/cloudformation/{requestId}", async (string requestId, HttpContext context) =>
            {
                using var reader = new StreamReader(context.Request.Body);
                endpoint.ContentTypes.Enqueue(context.Request.ContentType);
                endpoint.Bodies[requestId] = await reader.ReadToEndAsync();
                return Results.Ok();
            });
            await app.StartAsync();
            return endpoint;
        }

        public ValueTask DisposeAsync() => _app.DisposeAsync();
    }
}
