using System.Collections;

namespace Lilium.Aws;

/// <summary>
/// Region and endpoint overrides, read the way the AWS SDKs and CLI read them:
/// region from <c>AWS_REGION</c>, else <c>AWS_DEFAULT_REGION</c>; endpoint from
/// <c>AWS_ENDPOINT_URL_&lt;SERVICE&gt;</c>, else <c>AWS_ENDPOINT_URL</c>, else the public
/// <c>https://{prefix}.{region}.amazonaws.com</c>; <c>AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true</c> turns the overrides off.
/// </summary>
public sealed class AwsSettings
{
    private readonly IReadOnlyDictionary<string, string> _variables;

    private AwsSettings(IReadOnlyDictionary<string, string> variables)
    {
        _variables = variables;
        Region = Get("AWS_REGION") ?? Get("AWS_DEFAULT_REGION");
    }

    /// <summary>The region, or null when the environment names none.</summary>
    public string? Region { get; }

    /// <summary>Reads the process environment.</summary>
    public static AwsSettings FromEnvironment()
    {
        var variables = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            if (entry.Key is string key && key.StartsWith("AWS_", StringComparison.Ordinal) && entry.Value is string value)
            {
                variables[key] = value;
            }
        }

        return new AwsSettings(variables);
    }

    /// <summary>Settings from explicit variables (tests, or configuration that is not the environment).</summary>
    public static AwsSettings From(IReadOnlyDictionary<string, string?> variables) =>
        new(variables.Where(kv => kv.Value is not null).ToDictionary(kv => kv.Key, kv => kv.Value!, StringComparer.Ordinal));

    /// <summary>The region, or a clear error when none is configured.</summary>
    public string RequireRegion() =>
        Region ?? throw new AwsConfigurationException("No AWS region: set AWS_REGION (or AWS_DEFAULT_REGION).");

    /// <summary>The base URL to call <paramref name="service"/> at.</summary>
    public Uri ResolveEndpoint(AwsService service)
    {
        if (!string.Equals(Get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"), "true", StringComparison.OrdinalIgnoreCase))
        {
            foreach (var variable in (string[])[service.EndpointVariable, "AWS_ENDPOINT_URL"])
            {
                if (Get(variable) is { } configured)
                {
                    return Uri.TryCreate(configured, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
                        ? uri
                        : throw new AwsConfigurationException($"{variable} is not an http(s) URL: '{configured}'.");
                }
            }
        }

        return new Uri($"https://{service.EndpointPrefix}.{RequireRegion()}.amazonaws.com/");
    }

    private string? Get(string name) => _variables.TryGetValue(name, out var v) && !string.IsNullOrWhiteSpace(v) ? v.Trim() : null;
}
