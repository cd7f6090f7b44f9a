namespace Lilium.Bench;

/// <summary>Waiting for a relay process the benchmark started to answer its health check.</summary>
public static class RelayHealth
{
    /// <summary>Polls <c>{baseUri}/health</c> every 100 ms until it answers 2xx; throws after 20 s.</summary>
    public static async Task WaitAsync(HttpClient http, Uri baseUri)
    {
        for (var i = 0; i < 200; i++)
        {
            try
            {
                using var response = await http.GetAsync(new Uri(baseUri, "/health"));
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(100);
        }

        throw new InvalidOperationException("the relay did not become healthy");
    }
}
