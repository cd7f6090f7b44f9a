using System.Text;
using System.Xml;
using System.Xml.Linq;
using Lilium.Aws.Signing;

namespace Lilium.Aws.Protocol;

/// <summary>
/// The AWS Query protocol (CloudFormation, EC2): a form-encoded POST of <c>Action</c>, <c>Version</c>
/// and the parameters; the response is XML.
/// </summary>
internal sealed class AwsQueryProtocol(AwsContext context, AwsService service, string version)
{
    private const string ContentType = "application/x-www-form-urlencoded; charset=utf-8";

    private readonly Uri _endpoint = context.Settings.ResolveEndpoint(service);
    private readonly SigningScope _scope = new(context.Settings.RequireRegion(), service.SigningName);

    public async Task<XElement> InvokeAsync(string action, IEnumerable<KeyValuePair<string, string>> parameters, CancellationToken cancellationToken)
    {
        var form = string.Join('&', new KeyValuePair<string, string>[] { new("Action", action), new("Version", version) }
            .Concat(parameters)
            .Select(p => $"{Uri.EscapeDataString(p.Key)}={Uri.EscapeDataString(p.Value)}"));
        var call = new AwsRequest(service, _scope, HttpMethod.Post, new Uri(_endpoint, "/"), Encoding.UTF8.GetBytes(form), ContentType, []);
        var response = await context.Transport.SendAsync(call, cancellationToken);
        try
        {
            return XDocument.Parse(Encoding.UTF8.GetString(response.Body)).Root
                ?? throw new AwsServiceException(service.SigningName, "InvalidResponse", response.StatusCode, $"{action} returned an empty document.", null);
        }
        catch (XmlException e)
        {
            throw new AwsServiceException(service.SigningName, "InvalidResponse", response.StatusCode, $"{action} returned malformed XML: {e.Message}", null);
        }
    }
}
