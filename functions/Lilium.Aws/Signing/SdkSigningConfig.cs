using Amazon.Runtime;
using Amazon.Runtime.Endpoints;
using Amazon.Runtime.Internal;

namespace Lilium.Aws.Signing;

/// <summary>
/// The minimal client configuration AWSSDK.Core's signer consults: the authentication region and
/// service name. Nothing else of the SDK client pipeline is used.
/// </summary>
internal sealed class SdkSigningConfig : ClientConfig
{
    private readonly string _service;

    public SdkSigningConfig(SigningScope scope)
        : base(new DefaultConfigurationProvider([new DefaultConfiguration { Name = DefaultConfigurationMode.Standard }]))
    {
        _service = scope.Service;
        AuthenticationRegion = scope.Region;
        AuthenticationServiceName = scope.Service;
    }

    public override string RegionEndpointServiceName => _service;

    public override string ServiceVersion => "lilium";

    public override string UserAgent => "lilium-aws";

    /// <summary>Endpoints are resolved by <see cref="AwsEndpoints"/>, never by the SDK's rules.</summary>
    public override Endpoint DetermineServiceOperationEndpoint(ServiceOperationEndpointParameters parameters) =>
        throw new NotSupportedException("Lilium.Aws resolves endpoints itself.");
}
