using Amazon.Runtime;

namespace Lilium.Aws.Signing;

/// <summary>The SDK's request wrapper wants an originating request object; ours carries nothing.</summary>
internal sealed class OpaqueSdkRequest : AmazonWebServiceRequest
{
    public static readonly OpaqueSdkRequest Instance = new();
}
