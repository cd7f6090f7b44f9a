using System.Security.Cryptography;
using System.Text;

namespace Lilium.Aws.Tests;

/// <summary>
/// An independent, test-only SigV4 reference (IAM user guide, "Create a signed AWS API request",
/// steps 2–4) that turns a canonical request into a signature. It checks the suite against itself
/// first, so it can then judge the production signer (AWSSDK.Core's) on requests the suite words
/// slightly differently.
/// </summary>
internal static class SigV4Reference
{
    public static string Sign(string canonicalRequest, string secretKey, DateTimeOffset at, string region, string service)
    {
        var date = at.UtcDateTime.ToString("yyyyMMdd", System.Globalization.CultureInfo.InvariantCulture);
        var stamp = at.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", System.Globalization.CultureInfo.InvariantCulture);
        var scope = $"{date}/{region}/{service}/aws4_request";
        var stringToSign = $"AWS4-HMAC-SHA256\n{stamp}\n{scope}\n{Hex(SHA256.HashData(Encoding.UTF8.GetBytes(canonicalRequest)))}";

        var key = Hmac(Encoding.UTF8.GetBytes("AWS4" + secretKey), date);
        key = Hmac(key, region);
        key = Hmac(key, service);
        key = Hmac(key, "aws4_request");
        return Hex(Hmac(key, stringToSign));
    }

    /// <summary>
    /// The suite's canonical request as AWSSDK.Core builds it: the SDK always adds and signs
    /// <c>x-amz-content-sha256</c> (the payload hash, the canonical request's last line).
    /// </summary>
    public static string WithContentSha256(string canonicalRequest)
    {
        var lines = canonicalRequest.Split('\n').ToList();
        var payloadHash = lines[^1];
        var signedHeadersIndex = lines.Count - 2;
        var signed = lines[signedHeadersIndex].Split(';').ToList();
        if (signed.Contains("x-amz-content-sha256"))
        {
            return canonicalRequest;
        }

        // Header block: from line 3 up to the blank line before the signed-header list.
        var headers = lines.GetRange(3, signedHeadersIndex - 4);
        headers.Add("x-amz-content-sha256:" + payloadHash);
        headers.Sort((a, b) => string.CompareOrdinal(a[..a.IndexOf(':')], b[..b.IndexOf(':')]));
        signed.Add("x-amz-content-sha256");
        signed.Sort(StringComparer.Ordinal);

        return string.Join('\n', lines.Take(3).Concat(headers).Append("").Append(string.Join(';', signed)).Append(payloadHash));
    }

    private static byte[] Hmac(byte[] key, string data) => HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(data));

    private static string Hex(byte[] bytes) => Convert.ToHexStringLower(bytes);
}
