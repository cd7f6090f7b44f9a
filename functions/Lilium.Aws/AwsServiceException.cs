using System.Net;

namespace Lilium.Aws;

/// <summary>
/// An error answer from an AWS service: the error code (e.g. <c>ResourceNotFoundException</c>, the part of
/// <c>__type</c>/<c>X-Amzn-ErrorType</c> after any <c>#</c> and before any <c>:</c>), the HTTP status,
/// the service's message and request id.
/// </summary>
public class AwsServiceException : Exception
{
    public AwsServiceException(string service, string errorCode, HttpStatusCode statusCode, string message, string? requestId)
        : base($"{service}: {errorCode} ({(int)statusCode}): {message}")
    {
        Service = service;
        ErrorCode = errorCode;
        StatusCode = statusCode;
        RequestId = requestId;
        ServiceMessage = message;
    }

    public string Service { get; }

    public string ErrorCode { get; }

    public HttpStatusCode StatusCode { get; }

    public string? RequestId { get; }

    public string ServiceMessage { get; }

    /// <summary>Throttling and server-side faults, which a retry may cure.</summary>
    public bool IsTransient => (int)StatusCode >= 500 || StatusCode == HttpStatusCode.TooManyRequests
        || ErrorCode is "ThrottlingException" or "Throttling" or "TooManyRequestsException" or "RequestLimitExceeded" or "LimitExceededException";
}
