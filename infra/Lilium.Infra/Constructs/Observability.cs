using Amazon.CDK;
using Amazon.CDK.AWS.CloudWatch;
using Constructs;

namespace Lilium.Infra.Constructs;

/// <summary>Alarms on what users feel (API 5xx, Lambda errors, an unhealthy relay) and one dashboard.</summary>
public sealed class Observability : Construct
{
    public Observability(Construct scope, string id, ControlPlane control, MediaPlane media) : base(scope, id)
    {
        var api5xx = new Metric(new MetricProps
        {
            Namespace = "AWS/ApiGateway",
            MetricName = "5xx",
            DimensionsMap = new Dictionary<string, string> { ["ApiId"] = control.HttpApi.ApiId },
            Statistic = "Sum",
            Period = Duration.Minutes(5),
        });
        var apiErrors = control.ApiFunction.MetricErrors(new MetricOptions { Period = Duration.Minutes(5) });
        var signalingErrors = control.SignalingFunction.MetricErrors(new MetricOptions { Period = Duration.Minutes(5) });
        var unhealthy = media.TargetGroup?.Metrics.UnhealthyHostCount(new MetricOptions { Period = Duration.Minutes(1), Statistic = "Maximum" });

        Alarm Alarm(string name, Metric metric, double threshold, string description) => new(this, name, new AlarmProps
        {
            Metric = metric,
            Threshold = threshold,
            EvaluationPeriods = 1,
            ComparisonOperator = ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            TreatMissingData = TreatMissingData.NOT_BREACHING,
            AlarmDescription = description,
        });

        Alarm("Api5xx", api5xx, 5, "The REST API answered 5xx five or more times in 5 minutes");
        Alarm("ApiLambdaErrors", apiErrors, 1, "The api Lambda failed an invocation");
        Alarm("SignalingLambdaErrors", signalingErrors, 1, "The signaling Lambda failed an invocation");
        if (unhealthy is not null)
        {
            Alarm("RelayUnhealthy", unhealthy, 1, "A relay task fails its /health check");
        }

        var widgets = new List<IWidget>
        {
            new GraphWidget(new GraphWidgetProps { Title = "REST API 5xx", Left = [api5xx] }),
            new GraphWidget(new GraphWidgetProps { Title = "Lambda errors", Left = [apiErrors, signalingErrors] }),
        };
        if (unhealthy is not null)
        {
            widgets.Add(new GraphWidget(new GraphWidgetProps { Title = "Unhealthy relays", Left = [unhealthy] }));
        }

        _ = new Dashboard(this, "Dashboard", new DashboardProps { Widgets = [[.. widgets]] });
    }
}
