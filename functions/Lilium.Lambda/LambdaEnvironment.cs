namespace Lilium.Lambda;

/// <summary>
/// What the Lambda execution environment tells a custom runtime through its variables
/// (docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html).
/// </summary>
public static class LambdaEnvironment
{
    /// <summary>The Runtime API host:port variable; its presence means "running on Lambda".</summary>
    public const string RuntimeApiVariable = "AWS_LAMBDA_RUNTIME_API";

    /// <summary>The variable AWS X-Ray SDKs read the current trace header from.</summary>
    public const string TraceIdVariable = "_X_AMZN_TRACE_ID";

    /// <summary>True when <c>AWS_LAMBDA_RUNTIME_API</c> is set, i.e. this process is a Lambda function.</summary>
    public static bool IsLambda => !string.IsNullOrEmpty(Environment.GetEnvironmentVariable(RuntimeApiVariable));

    /// <summary><c>host:port</c> of the Runtime API, or null outside Lambda.</summary>
    public static string? RuntimeApi => Environment.GetEnvironmentVariable(RuntimeApiVariable) is { Length: > 0 } v ? v : null;

    public static string? FunctionName => Environment.GetEnvironmentVariable("AWS_LAMBDA_FUNCTION_NAME");

    public static string? FunctionVersion => Environment.GetEnvironmentVariable("AWS_LAMBDA_FUNCTION_VERSION");
}
