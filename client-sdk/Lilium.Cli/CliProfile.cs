using System.Text.Json;
using System.Text.Json.Serialization;
using Lilium.Client;
using Lilium.Client.Api;

namespace Lilium.Cli;

/// <summary>
/// Where the CLI keeps a user: a folder (<c>--home</c>, <c>LILIUM_HOME</c>, default <c>~/.lilium</c>)
/// with <c>identity.pem</c> and <c>config.json</c> (endpoints, user id). Endpoints resolve as
/// environment (<c>LILIUM_API_URL</c>, <c>LILIUM_WS_URL</c>) over the config file over the local
/// stack's defaults, like the seed's network config.
/// </summary>
internal sealed class CliProfile
{
    public const string DefaultApi = "http://127.0.0.1:5080/";
    public const string DefaultWebSocket = "ws://127.0.0.1:5081/local";

    private CliProfile(string home, CliConfig config)
    {
        Home = home;
        Config = config;
    }

    public string Home { get; }

    public CliConfig Config { get; private set; }

    public string IdentityPath => Path.Combine(Home, "identity.pem");

    public Uri ApiUrl => new(Environment.GetEnvironmentVariable("LILIUM_API_URL") is { Length: > 0 } e ? WithSlash(e) : Config.ApiUrl ?? DefaultApi);

    public Uri WebSocketUrl => new(Environment.GetEnvironmentVariable("LILIUM_WS_URL") is { Length: > 0 } e ? e : Config.WebSocketUrl ?? DefaultWebSocket);

    public static CliProfile Load(string? home)
    {
        home ??= Environment.GetEnvironmentVariable("LILIUM_HOME") is { Length: > 0 } h ? h : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".lilium");
        var file = Path.Combine(home, "config.json");
        CliConfig config = new();
        if (File.Exists(file))
        {
            try
            {
                config = JsonSerializer.Deserialize(File.ReadAllText(file), CliJsonContext.Default.CliConfig) ?? new();
            }
            catch (JsonException ex)
            {
                throw new LiliumException($"{file} is not valid JSON: {ex.Message}");
            }
        }

        return new CliProfile(home, config);
    }

    public void Save(CliConfig config)
    {
        Directory.CreateDirectory(Home);
        File.WriteAllText(Path.Combine(Home, "config.json"), JsonSerializer.Serialize(config, CliJsonContext.Default.CliConfig));
        Config = config;
    }

    public LiliumIdentity LoadIdentity() => LiliumIdentity.Load(IdentityPath);

    /// <summary>A logged-in API client for this profile's identity.</summary>
    public async Task<(LiliumIdentity Identity, LiliumApiClient Api)> LoginAsync(CancellationToken cancellationToken)
    {
        var identity = LoadIdentity();
        var api = new LiliumApiClient(ApiUrl, identity);
        await api.LoginAsync(cancellationToken);
        return (identity, api);
    }

    private static string WithSlash(string url) => url.EndsWith('/') ? url : url + "/";
}

internal sealed record CliConfig
{
    [JsonPropertyName("apiUrl")] public string? ApiUrl { get; init; }
    [JsonPropertyName("webSocketUrl")] public string? WebSocketUrl { get; init; }
    [JsonPropertyName("userId")] public Guid? UserId { get; init; }
    [JsonPropertyName("nickname")] public string? Nickname { get; init; }
}

[JsonSourceGenerationOptions(WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(CliConfig))]
internal sealed partial class CliJsonContext : JsonSerializerContext;
