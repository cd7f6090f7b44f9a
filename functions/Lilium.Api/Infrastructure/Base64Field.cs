namespace Lilium.Api.Infrastructure;

/// <summary>A base64 field of a request body, decoded without exceptions and with a size limit.</summary>
internal static class Base64Field
{
    /// <summary>The decoded bytes, or null when <paramref name="text"/> is missing, not base64 or longer than <paramref name="maxBytes"/>.</summary>
    public static byte[]? TryDecode(string? text, int maxBytes)
    {
        if (string.IsNullOrEmpty(text) || text.Length > (maxBytes + 2) / 3 * 4)
        {
            return null;
        }

        var buffer = new byte[text.Length];
        return Convert.TryFromBase64String(text, buffer, out var n) ? buffer[..n] : null;
    }
}
