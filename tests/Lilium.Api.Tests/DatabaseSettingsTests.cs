using Lilium.Data.Configuration;
using Lilium.Testing;
using Npgsql;

namespace Lilium.Api.Tests;

/// <summary>DATABASE_URL &gt; DB_SECRET_ARN (RDS secret JSON) &gt; DB_* — the pure precedence rules, then the real secret path.</summary>
[Trait("Category", "Unit")]
public sealed class DatabaseSettingsTests
{
    private const string RdsSecret = """{"username":"rds_user","password":"p@ss:w/rd","engine":"postgres","host":"db.example","port":6543,"dbname":"lilium_prod"}""";

    /// <summary>A secret store of fixed values: the precedence logic does not depend on where secrets live.</summary>
    private sealed class FixedSecrets(string value) : ISecretReader
    {
        public List<string> Asked { get; } = [];

        public Task<string> GetSecretStringAsync(string secretId, CancellationToken cancellationToken = default)
        {
            Asked.Add(secretId);
            return Task.FromResult(value);
        }
    }

    private static Func<string, string?> Env(params (string Key, string Value)[] vars) =>
        name => vars.FirstOrDefault(v => v.Key == name).Value;

    [Fact]
    public async Task Database_url_wins_and_the_secret_is_not_even_read()
    {
        var secrets = new FixedSecrets(RdsSecret);
        var (cs, source) = await DatabaseSettings.ResolveAsync(
            Env(("DATABASE_URL", "postgres://u%40x:p%3Aw@h.example:5433/d?sslmode=require"), ("DB_SECRET_ARN", "arn:x"), ("DB_HOST", "other")), secrets);

        var b = new NpgsqlConnectionStringBuilder(cs);
        Assert.Equal(DatabaseSettingsSource.DatabaseUrl, source);
        Assert.Equal(("h.example", 5433, "d", "u@x", "p:w", SslMode.Require), (b.Host, b.Port, b.Database, b.Username, b.Password, b.SslMode));
        Assert.Empty(secrets.Asked);
    }

    [Fact]
    public async Task The_secret_comes_before_discrete_variables()
    {
        var secrets = new FixedSecrets(RdsSecret);
        var (cs, source) = await DatabaseSettings.ResolveAsync(Env(("DB_SECRET_ARN", "arn:aws:secretsmanager:us-east-1:1:secret:db"), ("DB_HOST", "other"), ("DB_USER", "x")), secrets);

        var b = new NpgsqlConnectionStringBuilder(cs);
        Assert.Equal(DatabaseSettingsSource.Secret, source);
        Assert.Equal(("db.example", 6543, "lilium_prod", "rds_user", "p@ss:w/rd", SslMode.Require), (b.Host, b.Port, b.Database, b.Username, b.Password, b.SslMode));
        Assert.Equal(["arn:aws:secretsmanager:us-east-1:1:secret:db"], secrets.Asked);
    }

    [Fact]
    public async Task Discrete_variables_are_the_last_resort()
    {
        var (cs, source) = await DatabaseSettings.ResolveAsync(
            Env(("DB_HOST", "10.0.0.5"), ("DB_PORT", "5555"), ("DB_NAME", "n"), ("DB_USER", "u"), ("DB_PASSWORD", "pw"), ("DB_SSLMODE", "verify-full")), null);

        var b = new NpgsqlConnectionStringBuilder(cs);
        Assert.Equal(DatabaseSettingsSource.DiscreteVariables, source);
        Assert.Equal(("10.0.0.5", 5555, "n", "u", "pw", SslMode.VerifyFull), (b.Host, b.Port, b.Database, b.Username, b.Password, b.SslMode));
    }

    [Theory]
    [InlineData("DATABASE_URL", "mysql://u:p@h/d")]
    [InlineData("DATABASE_URL", "not a url")]
    [InlineData("DB_HOST", "h")] // no DB_USER
    [InlineData("NOTHING", "x")]
    public async Task Bad_or_missing_settings_are_clear_configuration_errors(string key, string value)
    {
        var e = await Assert.ThrowsAsync<ConfigurationException>(() => DatabaseSettings.ResolveAsync(Env((key, value)), null));
        Assert.False(string.IsNullOrWhiteSpace(e.Message));
    }

    [Theory]
    [InlineData("{")]
    [InlineData("""{"host":"h","password":"p"}""")]
    [InlineData("""{"host":"h","username":"u","password":"p","port":"http"}""")]
    [InlineData("""{"host":"h","username":"u","password":"p","port":true}""")]
    public void Broken_rds_secrets_are_configuration_errors(string json) =>
        Assert.Throws<ConfigurationException>(() => DatabaseSettings.FromRdsSecret(json));

    [Fact]
    public async Task Token_keys_are_required_outside_development()
    {
        await Assert.ThrowsAsync<ConfigurationException>(() => TokenKeysSettings.ResolveAsync(Env(), null, allowGenerated: false));
        await Assert.ThrowsAsync<ConfigurationException>(() => TokenKeysSettings.ResolveAsync(Env(("TOKEN_KEYS", "{\"accessKey\":\"short\"}")), null, allowGenerated: true));
        Assert.NotNull(await TokenKeysSettings.ResolveAsync(Env(), null, allowGenerated: true));
        var keys = Lilium.Auth.TokenKeys.Generate();
        Assert.Equal(keys, await TokenKeysSettings.ResolveAsync(Env(("TOKEN_KEYS_SECRET_ARN", "arn:k")), new FixedSecrets(keys.ToJson()), allowGenerated: false));
    }

    [Fact]
    public async Task Relay_grants_are_signed_with_the_relay_secret_when_one_is_named()
    {
        var keys = Lilium.Auth.TokenKeys.Generate();
        var relayKey = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(48));
        var env = Env(("TOKEN_KEYS", keys.ToJson()), ("RELAY_KEY_SECRET_ARN", "arn:relay"));
        var resolved = await TokenKeysSettings.ResolveAsync(env, new FixedSecrets($"{{\"relayKey\":\"{relayKey}\"}}"), allowGenerated: false);
        Assert.Equal(relayKey, resolved.RelayKey);
        Assert.Equal(keys.AccessKey, resolved.AccessKey);
        Assert.Equal(keys.RefreshKey, resolved.RefreshKey);
        await Assert.ThrowsAsync<ConfigurationException>(() => TokenKeysSettings.ResolveAsync(env, new FixedSecrets("{\"relayKey\":\"c2hvcnQ=\"}"), allowGenerated: false));
        await Assert.ThrowsAsync<ConfigurationException>(() => TokenKeysSettings.ResolveAsync(env, new FixedSecrets("not json"), allowGenerated: false));
    }
}

/// <summary>
/// The real path: an RDS-shaped secret created with the AWS CLI on the :4566 endpoint, pointing at
/// a test database, read through Lilium.Aws's Secrets Manager client by the migrate command.
/// </summary>
[Trait("Category", "Integration")]
public sealed class SecretsManagerDatabaseTests(PostgresFixture postgres, AwsEndpointFixture aws)
    : IClassFixture<PostgresFixture>, IClassFixture<AwsEndpointFixture>
{
    [Fact]
    public async Task Migrate_reads_the_database_from_DB_SECRET_ARN()
    {
        var b = new NpgsqlConnectionStringBuilder(await postgres.CreateDatabaseAsync("sec"));
        var secret = System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["username"] = b.Username,
            ["password"] = b.Password,
            ["engine"] = "postgres",
            ["host"] = b.Host,
            ["port"] = b.Port,
            ["dbname"] = b.Database,
        });
        var env = new Dictionary<string, string?>(aws.Environment) { ["DATABASE_URL"] = null, ["DB_SSLMODE"] = "Disable" };
        var created = (await ProcessRunner.RunAsync(
            "aws",
            ["--endpoint-url", aws.Endpoint.ToString().TrimEnd('/'), "--output", "text", "--query", "ARN", "secretsmanager", "create-secret", "--name", "lilium/test/db-" + Guid.NewGuid().ToString("N"), "--secret-string", secret],
            TimeSpan.FromMinutes(1),
            environment: env)).EnsureSuccess("aws secretsmanager create-secret");
        env["DB_SECRET_ARN"] = created.StdOut.Trim();

        var run = (await ProcessRunner.RunAsync("dotnet", [Path.Combine(AppContext.BaseDirectory, "Lilium.Api.dll"), "migrate"], TimeSpan.FromMinutes(2), environment: env)).EnsureSuccess("migrate");

        Assert.Contains("applied 0001", run.StdOut);
        Assert.Contains("Secret", run.StdOut);
    }
}

/// <summary>
/// Issue 23: on AWS the Lambdas verify Aurora's certificate (DB_SSL_ROOT_CERT = the RDS authorities in the package,
/// VerifyFull by default for the secret). Against a real TLS Postgres whose certificate a private authority issued:
/// the right authority connects over TLS; the RDS bundle (the wrong one here, as a man in the middle's certificate
/// would be on AWS) is refused.
/// </summary>
[Trait("Category", "Integration")]
public sealed class DatabaseTlsTests : IAsyncLifetime
{
    private TlsPostgresCluster _cluster = null!;

    public async Task InitializeAsync() => _cluster = await TlsPostgresCluster.StartAsync();

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    private Func<string, string?> Settings(string rootCertificate, string? sslMode) => _cluster.Settings(sslMode, rootCertificate).GetValueOrDefault;

    [Fact]
    public async Task Verify_full_connects_with_the_servers_authority_and_refuses_any_other()
    {
        var (trusted, _) = await DatabaseSettings.ResolveAsync(Settings(_cluster.AuthorityFile, "VerifyFull"), null);
        Assert.Equal(SslMode.VerifyFull, new NpgsqlConnectionStringBuilder(trusted).SslMode);
        await using (var connection = new NpgsqlConnection(trusted))
        {
            await connection.OpenAsync();
            await using var ssl = new NpgsqlCommand("select ssl from pg_stat_ssl where pid = pg_backend_pid()", connection);
            Assert.Equal(true, await ssl.ExecuteScalarAsync());
        }

        var bundle = Path.Combine(_cluster.Directory, "rds-ca.pem");
        (await ProcessRunner.RunAsync("bash", [Path.Combine(RepoPaths.Scripts, "rds-ca-bundle.sh"), bundle], TimeSpan.FromMinutes(1))).EnsureSuccess("rds-ca-bundle.sh");
        var (untrusted, _) = await DatabaseSettings.ResolveAsync(Settings(bundle, "VerifyFull"), null);
        await using var refused = new NpgsqlConnection(untrusted);
        var error = await Assert.ThrowsAnyAsync<Exception>(() => refused.OpenAsync());
        Assert.Contains("certificate", error.ToString(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_root_certificate_makes_the_secret_default_to_verify_full_and_a_missing_one_is_a_clear_error()
    {
        var secret = """{"username":"lilium","password":"lilium","host":"127.0.0.1","port":5432,"dbname":"lilium"}""";
        var root = _cluster.AuthorityFile;
        var (cs, _) = await DatabaseSettings.ResolveAsync(n => n switch { "DB_SECRET_ARN" => "arn:x", "DB_SSL_ROOT_CERT" => root, _ => null }, new StaticSecret(secret));
        var b = new NpgsqlConnectionStringBuilder(cs);
        Assert.Equal((SslMode.VerifyFull, root), (b.SslMode, b.RootCertificate));

        var missing = await Assert.ThrowsAsync<ConfigurationException>(() =>
            DatabaseSettings.ResolveAsync(n => n switch { "DB_SECRET_ARN" => "arn:x", "DB_SSL_ROOT_CERT" => "/nonexistent/rds-ca.pem", _ => null }, new StaticSecret(secret)));
        Assert.Contains("DB_SSL_ROOT_CERT", missing.Message);
    }

    private sealed class StaticSecret(string value) : ISecretReader
    {
        public Task<string> GetSecretStringAsync(string secretId, CancellationToken cancellationToken = default) => Task.FromResult(value);
    }
}
