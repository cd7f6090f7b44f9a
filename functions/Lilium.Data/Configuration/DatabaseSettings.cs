using System.Globalization;
using System.Text.Json;
using Npgsql;

namespace Lilium.Data.Configuration;

/// <summary>Where the connection string came from, for logs (never log the string itself).</summary>
public enum DatabaseSettingsSource
{
    DatabaseUrl,
    Secret,
    DiscreteVariables,
}

/// <summary>
/// Resolves the Postgres connection string, first match wins:
/// <list type="number">
/// <item><c>DATABASE_URL</c>: <c>postgres://user:password@host:port/db?sslmode=require</c>;</item>
/// <item><c>DB_SECRET_ARN</c>: a Secrets Manager secret holding the standard RDS JSON
/// (<c>host</c>, <c>port</c>, <c>username</c>, <c>password</c>, <c>dbname</c>; <c>engine</c> is ignored);</item>
/// <item><c>DB_HOST</c>, <c>DB_PORT</c>, <c>DB_NAME</c>, <c>DB_USER</c>, <c>DB_PASSWORD</c>.</item>
/// </list>
/// <c>DB_SSLMODE</c> (Disable, Prefer, Require, VerifyCA, VerifyFull) applies to the last two; a secret
/// defaults to VerifyFull when <c>DB_SSL_ROOT_CERT</c> names the certificate authorities to trust (the Lambda
/// packages carry Amazon RDS's as <c>rds-ca.pem</c> and the CDK app points there), else Require; discrete
/// variables default to Npgsql's (Prefer). A URL says its own <c>?sslmode=</c>. <c>DB_SSL_ROOT_CERT</c> (a PEM
/// file) applies to every source.
/// </summary>
public static class DatabaseSettings
{
    /// <summary>The connect timeout: short, so an unreachable database becomes a quick 503, not a hung request.</summary>
    public const int ConnectTimeoutSeconds = 5;

    public static async Task<(string ConnectionString, DatabaseSettingsSource Source)> ResolveAsync(
        Func<string, string?> variable,
        ISecretReader? secrets,
        CancellationToken cancellationToken = default)
    {
        var rootCertificate = Get(variable, "DB_SSL_ROOT_CERT");
        if (rootCertificate is not null && !File.Exists(rootCertificate))
        {
            throw new ConfigurationException($"DB_SSL_ROOT_CERT names '{rootCertificate}', which does not exist.");
        }

        var (connectionString, source) = await ResolveWithoutRootAsync(variable, secrets, rootCertificate is not null, cancellationToken);
        return (rootCertificate is null ? connectionString : new NpgsqlConnectionStringBuilder(connectionString) { RootCertificate = rootCertificate }.ConnectionString, source);
    }

    private static async Task<(string ConnectionString, DatabaseSettingsSource Source)> ResolveWithoutRootAsync(
        Func<string, string?> variable,
        ISecretReader? secrets,
        bool hasRootCertificate,
        CancellationToken cancellationToken)
    {
        if (Get(variable, "DATABASE_URL") is { } url)
        {
            return (FromUrl(url), DatabaseSettingsSource.DatabaseUrl);
        }

        if (Get(variable, "DB_SECRET_ARN") is { } arn)
        {
            if (secrets is null)
            {
                throw new ConfigurationException("DB_SECRET_ARN is set but no secret reader is available.");
            }

            var secret = await secrets.GetSecretStringAsync(arn, cancellationToken);
            return (FromRdsSecret(secret, Get(variable, "DB_SSLMODE") ?? (hasRootCertificate ? "VerifyFull" : "Require")), DatabaseSettingsSource.Secret);
        }

        if (Get(variable, "DB_HOST") is { } host)
        {
            return (Build(
                host,
                ParsePort(Get(variable, "DB_PORT"), "DB_PORT"),
                Get(variable, "DB_NAME") ?? "lilium",
                Get(variable, "DB_USER") ?? throw new ConfigurationException("DB_HOST is set but DB_USER is not."),
                Get(variable, "DB_PASSWORD"),
                Get(variable, "DB_SSLMODE")), DatabaseSettingsSource.DiscreteVariables);
        }

        throw new ConfigurationException("No database configured: set DATABASE_URL, DB_SECRET_ARN or DB_HOST/DB_PORT/DB_NAME/DB_USER/DB_PASSWORD.");
    }

    /// <summary>A <c>postgres://</c> (or <c>postgresql://</c>) URL as an Npgsql connection string.</summary>
    public static string FromUrl(string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("postgres" or "postgresql") || string.IsNullOrEmpty(uri.Host))
        {
            throw new ConfigurationException("DATABASE_URL must look like postgres://user:password@host:5432/dbname.");
        }

        var userInfo = uri.UserInfo.Split(':', 2);
        string? sslMode = null;
        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var kv = pair.Split('=', 2);
            if (kv.Length == 2 && kv[0].Equals("sslmode", StringComparison.OrdinalIgnoreCase))
            {
                sslMode = Uri.UnescapeDataString(kv[1]);
            }
        }

        return Build(
            uri.Host,
            uri.IsDefaultPort || uri.Port <= 0 ? 5432 : uri.Port,
            uri.AbsolutePath.Trim('/') is { Length: > 0 } db ? Uri.UnescapeDataString(db) : "postgres",
            Uri.UnescapeDataString(userInfo[0]),
            userInfo.Length > 1 ? Uri.UnescapeDataString(userInfo[1]) : null,
            sslMode);
    }

    /// <summary>The standard RDS secret JSON as a connection string.</summary>
    public static string FromRdsSecret(string json, string sslMode = "Require")
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            var root = doc.RootElement;
            string Text(string name) => root.TryGetProperty(name, out var p) && p.ValueKind == JsonValueKind.String && p.GetString() is { Length: > 0 } s
                ? s
                : throw new ConfigurationException($"The database secret has no '{name}'.");
            var port = root.TryGetProperty("port", out var portElement)
                ? portElement.ValueKind switch
                {
                    JsonValueKind.Number when portElement.TryGetInt32(out var n) => n,
                    JsonValueKind.String => ParsePort(portElement.GetString(), "the secret's port"),
                    _ => throw new ConfigurationException("The database secret's 'port' is not a number."),
                }
                : 5432;
            var db = root.TryGetProperty("dbname", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString()! : "postgres";
            return Build(Text("host"), port, db, Text("username"), Text("password"), sslMode);
        }
        catch (JsonException e)
        {
            throw new ConfigurationException("The database secret is not JSON.", e);
        }
    }

    private static string Build(string host, int port, string database, string user, string? password, string? sslMode)
    {
        var b = new NpgsqlConnectionStringBuilder
        {
            Host = host,
            Port = port,
            Database = database,
            Username = user,
            Password = password,
            Timeout = ConnectTimeoutSeconds,
            CommandTimeout = 15,
            MaxPoolSize = 100,
            // Statements run often are prepared once per connection: saves the parse/plan on hot reads.
            MaxAutoPrepare = 32,
            AutoPrepareMinUsages = 2,
            // No session state is ever changed (no SET, no temp tables; the migrator unlocks its advisory
            // lock itself), so a pooled connection needs no DISCARD ALL on return.
            NoResetOnClose = true,
        };
        if (sslMode is not null)
        {
            b.SslMode = !char.IsAsciiDigit(sslMode[0]) && Enum.TryParse<SslMode>(sslMode.Replace("-", ""), ignoreCase: true, out var mode)
                ? mode
                : throw new ConfigurationException($"Unknown sslmode '{sslMode}'.");
        }

        return b.ConnectionString;
    }

    private static int ParsePort(string? text, string what) =>
        text is null ? 5432
        : int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is > 0 and <= 65535 ? port
        : throw new ConfigurationException($"{what} is not a port number: '{text}'.");

    private static string? Get(Func<string, string?> variable, string name) =>
        variable(name) is { } v && !string.IsNullOrWhiteSpace(v) ? v.Trim() : null;
}
