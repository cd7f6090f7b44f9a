using Amazon.CDK;
using Amazon.CDK.AWS.CloudFront;
using Amazon.CDK.AWS.CloudFront.Origins;
using Amazon.CDK.AWS.S3;
using Amazon.CDK.AWS.S3.Deployment;
using Constructs;

namespace Lilium.Infra.Constructs;

/// <param name="WebDist">The web app's built files (client-sdk/web/dist); null or missing: only <c>config.json</c> is deployed.</param>
/// <param name="RelayOrigin">The load balancer's DNS name, or null when the stack runs without one (paused, minimal).</param>
/// <param name="ControlPlaneOff">Minimal mode: the functions have no outbound access, so <c>/v1</c> and <c>/ws</c> answer 503 at the edge.</param>
public sealed record WebFrontProps(
    ControlPlane Control,
    string? WebDist,
    string? RelayOrigin,
    bool RelayOriginHttps,
    bool ControlPlaneOff);

/// <summary>
/// One HTTPS origin without a custom domain: a CloudFront distribution on its default <c>*.cloudfront.net</c> name.
/// <c>/*</c> serves the web app from a private bucket (Origin Access Control), <c>/v1/*</c> goes to the HTTP API,
/// <c>/ws</c> to the WebSocket API's stage, <c>/whip/*</c> and <c>/whep/*</c> to the relay's load balancer; nothing is
/// cached but the app's files, and every response carries the security headers (strict CSP, HSTS). The app reads its
/// endpoints from <c>/config.json</c>: <c>{"apiBase":"/v1","signalingUrl":"wss://{domain}/ws","relayBase":""}</c>.
/// </summary>
public sealed class WebFront : Construct
{
    /// <summary>The strict policy for the app: its own origin only (<c>'self'</c> covers same-host <c>wss:</c>), no framing.</summary>
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; " +
        "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    /// <summary>The WebSocket path; also the stage name, so CloudFront forwards the path unchanged.</summary>
    public const string WebSocketPath = "/" + ControlPlane.WebSocketStageName;

    public WebFront(Construct scope, string id, WebFrontProps props) : base(scope, id)
    {
        Bucket = new Bucket(this, "Site", new BucketProps
        {
            BlockPublicAccess = BlockPublicAccess.BLOCK_ALL,
            Encryption = BucketEncryption.S3_MANAGED,
            EnforceSSL = true,
            RemovalPolicy = RemovalPolicy.DESTROY,
            AutoDeleteObjects = true, // cdk destroy leaves no bucket behind
        });

        var headers = new ResponseHeadersPolicy(this, "SecurityHeaders", new ResponseHeadersPolicyProps
        {
            Comment = "LiliumShare: strict CSP, HSTS, no sniffing, no framing",
            SecurityHeadersBehavior = new ResponseSecurityHeadersBehavior
            {
                ContentSecurityPolicy = new ResponseHeadersContentSecurityPolicy { ContentSecurityPolicy = ContentSecurityPolicy, Override = true },
                StrictTransportSecurity = new ResponseHeadersStrictTransportSecurity { AccessControlMaxAge = Duration.Days(730), IncludeSubdomains = true, Override = true },
                ContentTypeOptions = new ResponseHeadersContentTypeOptions { Override = true },
                FrameOptions = new ResponseHeadersFrameOptions { FrameOption = HeadersFrameOption.DENY, Override = true },
                ReferrerPolicy = new ResponseHeadersReferrerPolicy { ReferrerPolicy = HeadersReferrerPolicy.NO_REFERRER, Override = true },
            },
        });

        // Client-side routes (/join/…, /chat/…) get index.html; files (a dot in the last segment) are served as they are.
        var spa = new Amazon.CDK.AWS.CloudFront.Function(this, "SpaRoutes", new Amazon.CDK.AWS.CloudFront.FunctionProps
        {
            Comment = "LiliumShare: client-side routes to /index.html",
            Runtime = FunctionRuntime.JS_2_0,
            Code = FunctionCode.FromInline(
                "function handler(event){var r=event.request;var last=r.uri.split('/').pop();" +
                "if(last.indexOf('.')<0){r.uri='/index.html';}return r;}"),
        });

        BehaviorOptions Passthrough(IOrigin origin, Amazon.CDK.AWS.CloudFront.Function? edge = null) => new()
        {
            Origin = origin,
            ViewerProtocolPolicy = ViewerProtocolPolicy.HTTPS_ONLY,
            AllowedMethods = AllowedMethods.ALLOW_ALL,
            CachePolicy = CachePolicy.CACHING_DISABLED,
            OriginRequestPolicy = OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
            ResponseHeadersPolicy = headers,
            Compress = false,
            FunctionAssociations = edge is null ? null : [new FunctionAssociation { Function = edge, EventType = FunctionEventType.VIEWER_REQUEST }],
        };

        // Minimal mode: the functions have no way out of the VPC, so the edge says so instead of letting them time out.
        var paused = props.ControlPlaneOff
            ? new Amazon.CDK.AWS.CloudFront.Function(this, "Paused", new Amazon.CDK.AWS.CloudFront.FunctionProps
            {
                Comment = "LiliumShare minimal mode: the control plane is off",
                Runtime = FunctionRuntime.JS_2_0,
                Code = FunctionCode.FromInline(
                    "function handler(event){return {statusCode:503,statusDescription:'Service Unavailable'," +
                    "headers:{'content-type':{value:'application/problem+json'},'retry-after':{value:'600'}}," +
                    "body:{encoding:'text',data:JSON.stringify({type:'about:blank',title:'This LiliumShare deployment is paused'," +
                    "status:503,code:'deployment-paused',detail:'Its operator stopped the control plane to save cost (make pause ARGS=--minimal); make resume brings it back in about five minutes.'})}};}"),
            })
            : null;

        var apiDomain = Fn.Select(2, Fn.Split("/", props.Control.HttpApi.ApiEndpoint));
        var wsDomain = Fn.Select(2, Fn.Split("/", props.Control.WebSocketApi.ApiEndpoint));
        var behaviors = new Dictionary<string, IBehaviorOptions>
        {
            ["/v1/*"] = Passthrough(new HttpOrigin(apiDomain, new HttpOriginProps { ProtocolPolicy = OriginProtocolPolicy.HTTPS_ONLY }), paused),
            [WebSocketPath] = Passthrough(new HttpOrigin(wsDomain, new HttpOriginProps { ProtocolPolicy = OriginProtocolPolicy.HTTPS_ONLY }), paused),
        };
        if (props.RelayOrigin is { } alb)
        {
            var relay = new HttpOrigin(alb, new HttpOriginProps
            {
                ProtocolPolicy = props.RelayOriginHttps ? OriginProtocolPolicy.HTTPS_ONLY : OriginProtocolPolicy.HTTP_ONLY,
                ReadTimeout = Duration.Seconds(30),
            });
            behaviors["/whip/*"] = Passthrough(relay);
            behaviors["/whep/*"] = Passthrough(relay);
        }

        Distribution = new Distribution(this, "Distribution", new DistributionProps
        {
            Comment = "LiliumShare",
            DefaultRootObject = "index.html",
            PriceClass = PriceClass.PRICE_CLASS_100,
            HttpVersion = HttpVersion.HTTP2_AND_3,
            DefaultBehavior = new BehaviorOptions
            {
                Origin = S3BucketOrigin.WithOriginAccessControl(Bucket),
                ViewerProtocolPolicy = ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                CachePolicy = CachePolicy.CACHING_OPTIMIZED,
                ResponseHeadersPolicy = headers,
                FunctionAssociations = [new FunctionAssociation { Function = spa, EventType = FunctionEventType.VIEWER_REQUEST }],
            },
            AdditionalBehaviors = behaviors,
        });

        AppUrl = "https://" + Distribution.DistributionDomainName;
        {
            var sources = new List<ISource>
            {
                Source.JsonData("config.json", new Dictionary<string, object>
                {
                    ["apiBase"] = "/v1",
                    ["signalingUrl"] = "wss://" + Distribution.DistributionDomainName + WebSocketPath,
                    ["relayBase"] = "",
                }),
            };
            if (props.WebDist is { } dist && File.Exists(Path.Combine(dist, "index.html")))
            {
                sources.Insert(0, Source.Asset(dist));
            }

            _ = new BucketDeployment(this, "Files", new BucketDeploymentProps
            {
                DestinationBucket = Bucket,
                Sources = [.. sources],
                Prune = true,
                MemoryLimit = 256,
                Distribution = Distribution,
                DistributionPaths = ["/*"],
            });
        }
    }

    public Bucket Bucket { get; }

    public Distribution Distribution { get; }

    /// <summary><c>https://{id}.cloudfront.net</c>.</summary>
    public string AppUrl { get; }
}
