using System.Globalization;

namespace Lilium.Testing;

/// <summary>
/// A throwaway Postgres cluster serving TLS (scripts/pg.sh with <c>LILIUM_PG_SSL=1</c>): its certificate names
/// 127.0.0.1 and localhost and is issued by a private authority, <see cref="AuthorityFile"/>. For verify-full tests.
/// </summary>
public sealed class TlsPostgresCluster : IAsyncDisposable
{
    private TlsPostgresCluster(string directory, int port) => (Directory, Port) = (directory, port);

    public string Directory { get; }

    public int Port { get; }

    /// <summary>The PEM certificate of the authority that issued the server's certificate.</summary>
    public string AuthorityFile => Path.Combine(Directory, "ca.crt");

    /// <summary>DB_* settings for this cluster (user and password <c>lilium</c>), with the given sslmode and root certificate.</summary>
    public Dictionary<string, string?> Settings(string? sslMode, string? rootCertificate) => new()
    {
        ["DATABASE_URL"] = null,
        ["DB_SECRET_ARN"] = null,
        ["DB_HOST"] = "127.0.0.1",
        ["DB_PORT"] = Port.ToString(CultureInfo.InvariantCulture),
        ["DB_NAME"] = "lilium",
        ["DB_USER"] = "lilium",
        ["DB_PASSWORD"] = "lilium",
        ["DB_SSLMODE"] = sslMode,
        ["DB_SSL_ROOT_CERT"] = rootCertificate,
    };

    public static async Task<TlsPostgresCluster> StartAsync()
    {
        var directory = System.IO.Directory.CreateTempSubdirectory("lilium-pgtls-").FullName;
        if (!OperatingSystem.IsWindows())
        {
            // The server runs as the postgres user when the tests run as root: it must be able to enter the folder.
            File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        }

        var cluster = new TlsPostgresCluster(directory, Ports.FreeTcp());
        (await ProcessRunner.RunAsync("bash", [Path.Combine(RepoPaths.Scripts, "pg.sh"), "ensure"], TimeSpan.FromMinutes(2), environment: cluster.Environment()))
            .EnsureSuccess("scripts/pg.sh ensure (TLS cluster)");
        return cluster;
    }

    public async ValueTask DisposeAsync()
    {
        await ProcessRunner.RunAsync("bash", [Path.Combine(RepoPaths.Scripts, "pg.sh"), "stop"], TimeSpan.FromMinutes(1), environment: Environment());
        System.IO.Directory.Delete(Directory, recursive: true);
    }

    private Dictionary<string, string?> Environment() => new()
    {
        ["LILIUM_PG_DIR"] = Directory,
        ["LILIUM_PG_PORT"] = Port.ToString(CultureInfo.InvariantCulture),
        ["LILIUM_PG_SSL"] = "1",
    };
}
