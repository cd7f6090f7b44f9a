using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using Lilium.Data;
using Lilium.Data.Migrations;
using Lilium.Testing;
using Npgsql;

namespace Lilium.Api.Tests;

/// <summary>No database → 503 with Retry-After (never 500), and a crash mid-write leaves no half-written rows.</summary>
[Trait("Category", "Integration")]
public sealed class DatabaseDownTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>
{
    [Fact]
    public async Task Nothing_listening_is_503_with_retry_after_on_health_reads_and_writes()
    {
        var closed = new NpgsqlConnectionStringBuilder { Host = "127.0.0.1", Port = Ports.FreeTcp(), Username = "u", Password = "p", Database = "d" }.ConnectionString;
        await using var server = await ApiServer.StartAsync(postgres, connectionString: closed, migrate: false);
        using var anon = server.CreateClient();
        var token = server.Keys.AccessCodec().Issue(new Lilium.Auth.AccessClaims
        {
            Subject = Guid.NewGuid(),
            IssuedAt = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            ExpiresAt = DateTimeOffset.UtcNow.AddMinutes(5).ToUnixTimeSeconds(),
            Nickname = "n",
        });
        using var authed = server.CreateClient(token);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        var responses = new[]
        {
            await anon.GetAsync("/health"),
            await anon.PostAsJsonAsync("/v1/users", new { publicKey = Convert.ToBase64String(key.ExportSubjectPublicKeyInfo()), nickname = "x" }),
            await authed.GetAsync("/v1/friends"),
            await authed.PostAsJsonAsync("/v1/sessions", new { }),
        };

        foreach (var response in responses)
        {
            var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.ServiceUnavailable);
            Assert.Contains(problem.GetProperty("code").GetString(), new[] { "database-unavailable" });
            Assert.True(response.Headers.RetryAfter?.Delta > TimeSpan.Zero, "Retry-After");
        }
    }

    [Fact]
    public async Task A_crash_during_writes_gives_201_or_503_and_no_partial_rows_then_recovers()
    {
        await using var pg = await ThrowawayPostgres.StartAsync();
        var cs = await pg.CreateDatabaseAsync();
        await using (var db = LiliumDatabase.CreateDataSource(cs))
        {
            await new Migrator(db).MigrateAsync();
        }

        await using var server = await ApiServer.StartAsync(postgres, connectionString: cs, migrate: false);
        using var host = await TestUser.RegisterAsync(server, "crash-host");
        using var http = host.Client(server);

        // Sessions are two-row writes (session + host participant). Crash the server while they run.
        var writes = Enumerable.Range(0, 40).Select(async i =>
        {
            await Task.Delay(i * 10);
            return await http.PostAsJsonAsync("/v1/sessions", new { maxViewers = 2 });
        }).ToList();
        await Task.Delay(150);
        await pg.KillServerAsync();
        var results = await Task.WhenAll(writes);

        Assert.All(results, r => Assert.Contains(r.StatusCode, new[] { HttpStatusCode.Created, HttpStatusCode.ServiceUnavailable }));
        var failed = results.Where(r => r.StatusCode == HttpStatusCode.ServiceUnavailable).ToList();
        Assert.NotEmpty(failed);
        Assert.Contains(results, r => r.StatusCode == HttpStatusCode.Created); // the crash really came mid-stream
        Assert.All(failed, r => Assert.NotNull(r.Headers.RetryAfter));
        await ProblemAssert.IsProblemAsync(await http.GetAsync("/health"), HttpStatusCode.ServiceUnavailable, "database-unavailable");

        await pg.StartServerAsync();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while ((await http.GetAsync("/health")).StatusCode != HttpStatusCode.OK && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
        }

        // every committed session has exactly its host participant; every 201 is there
        await using var check = LiliumDatabase.CreateDataSource(cs);
        await using (var orphans = check.CreateCommand("""
            SELECT count(*) FROM sessions s
            WHERE (SELECT count(*) FROM session_participants p WHERE p.session_id = s.id AND p.role = 'host') <> 1
            """))
        {
            Assert.Equal(0L, await orphans.ExecuteScalarAsync());
        }

        await using (var total = check.CreateCommand("SELECT count(*) FROM sessions"))
        {
            Assert.InRange((long)(await total.ExecuteScalarAsync())!, results.Count(r => r.StatusCode == HttpStatusCode.Created), results.Length);
        }

        // and the API serves writes again
        await ProblemAssert.OkJsonAsync(await http.PostAsJsonAsync("/v1/sessions", new { }), HttpStatusCode.Created);
    }
}
