using Lilium.Testing;

namespace Lilium.Lambda.Tests;

/// <summary>
/// Issue 23: the published (Native AOT) API bootstrap verifies the database's certificate. Its package carries Amazon
/// RDS's authorities (<c>rds-ca.pem</c>, which the CDK app names in DB_SSL_ROOT_CERT); against a TLS Postgres whose
/// certificate a private authority issued, <c>migrate</c> succeeds with that authority and is refused with the RDS
/// bundle, as a man in the middle would be on AWS.
/// </summary>
[Trait("Category", "Integration")]
public sealed class BootstrapDatabaseTlsTests(PublishedBootstrap bootstrap) : IClassFixture<PublishedBootstrap>, IAsyncLifetime
{
    private TlsPostgresCluster _cluster = null!;

    public async Task InitializeAsync() => _cluster = await TlsPostgresCluster.StartAsync();

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task The_native_bootstrap_verifies_the_database_certificate_with_the_packaged_authorities()
    {
        var packaged = Path.Combine(Path.GetDirectoryName(bootstrap.Path)!, "rds-ca.pem");
        Assert.True(File.Exists(packaged), "the API package has no rds-ca.pem (scripts/publish-lambdas.sh)");
        var pem = await File.ReadAllTextAsync(packaged);
        Assert.True(pem.Split("BEGIN CERTIFICATE").Length - 1 >= 10);
        Assert.Contains(System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificate(Convert.FromBase64String(FirstCertificateBody(pem))).Subject.Split(", "), p => p == "OU=Amazon RDS");

        var trusted = await ProcessRunner.RunAsync(bootstrap.Path, ["migrate"], TimeSpan.FromMinutes(1), environment: _cluster.Settings("VerifyFull", _cluster.AuthorityFile));
        Assert.Contains("migrate: applied", trusted.EnsureSuccess("bootstrap migrate over verified TLS").StdOut, StringComparison.Ordinal);

        var refused = await ProcessRunner.RunAsync(bootstrap.Path, ["migrate"], TimeSpan.FromMinutes(1), environment: _cluster.Settings("VerifyFull", packaged));
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("certificate", refused.StdOut + refused.StdErr, StringComparison.OrdinalIgnoreCase);
    }

    private static string FirstCertificateBody(string pem)
    {
        const string begin = "-----BEGIN CERTIFICATE-----", end = "-----END CERTIFICATE-----";
        var from = pem.IndexOf(begin, StringComparison.Ordinal) + begin.Length;
        return pem[from..pem.IndexOf(end, from, StringComparison.Ordinal)].Replace("\n", "", StringComparison.Ordinal).Replace("\r", "", StringComparison.Ordinal);
    }
}
