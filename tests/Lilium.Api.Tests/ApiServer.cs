using System.Net.Http.Headers;
using Lilium.Auth;
using Lilium.Data;
using Lilium.Data.Migrations;
using Lilium.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Lilium.Api.Tests;

/// <summary>
/// The real API on Kestrel on a free loopback port, against a fresh, migrated database of the
/// project's Postgres cluster. Tests talk to it over real HTTP.
/// </summary>
internal sealed class ApiServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private ApiServer(WebApplication app, Uri baseAddress, TokenKeys keys, string connectionString, TimeProvider time)
    {
        _app = app;
        BaseAddress = baseAddress;
        Keys = keys;
        ConnectionString = connectionString;
        Time = time;
    }

    public Uri BaseAddress { get; }

    public IServiceProvider Services => _app.Services;

    public TokenKeys Keys { get; }

    public string ConnectionString { get; }

    public TimeProvider Time { get; }

    /// <param name="connectionString">An existing database; null for a fresh, migrated one.</param>
    public static async Task<ApiServer> StartAsync(
        PostgresFixture postgres,
        string? connectionString = null,
        IReadOnlyDictionary<string, string?>? settings = null,
        TimeProvider? time = null,
        bool migrate = true)
    {
        if (connectionString is null)
        {
            connectionString = await postgres.CreateDatabaseAsync("api");
        }

        if (migrate)
        {
            await using var db = LiliumDatabase.CreateDataSource(connectionString);
            await new Migrator(db).MigrateAsync();
        }

        var keys = TokenKeys.Generate();
        var port = Ports.FreeTcp();
        var config = new Dictionary<string, string?>
        {
            ["DATABASE_URL"] = PostgresFixture.ToUrl(connectionString),
            ["TOKEN_KEYS"] = keys.ToJson(),
            ["RATE_LIMIT_AUTH_PER_IP"] = "100000",
            ["RATE_LIMIT_AUTH_PER_USER"] = "100000",
            ["urls"] = $"http://127.0.0.1:{port}",
        };
        foreach (var (k, v) in settings ?? new Dictionary<string, string?>())
        {
            config[k] = v;
        }

        var clock = time ?? TimeProvider.System;
        var app = await ApiApp.BuildAsync(["--environment", "Production"], b =>
        {
            b.Configuration.AddInMemoryCollection(config);
            b.Services.AddSingleton(clock);
            b.Logging.SetMinimumLevel(LogLevel.Warning);
        });
        await app.StartAsync();
        return new ApiServer(app, new Uri($"http://127.0.0.1:{port}"), keys, connectionString, clock);
    }

    public HttpClient CreateClient(string? accessToken = null)
    {
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        if (accessToken is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        }

        return client;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
