namespace Lilium.Fleet.Tests;

[Trait("Category", "Unit")]
public sealed class FleetSettingsTests
{
    private static FleetSettings From(params (string Name, string Value)[] variables)
    {
        var map = variables.ToDictionary(v => v.Name, v => v.Value);
        return FleetSettings.From(name => map.GetValueOrDefault(name));
    }

    [Fact]
    public void Defaults_are_the_contracts()
    {
        var settings = From();
        Assert.Null(settings.Table);
        Assert.False(settings.CanScale);
        Assert.Equal(TimeSpan.FromSeconds(1), settings.HeartbeatInterval);
        Assert.Equal(TimeSpan.FromSeconds(3), settings.LiveWindow);
        Assert.Equal(TimeSpan.FromMinutes(10), settings.IdleTimeout);
        Assert.Equal(0.8, settings.ScaleOutLoad);
        Assert.Equal(TimeSpan.FromSeconds(5), settings.StartEstimate);
    }

    [Fact]
    public void Every_variable_is_read()
    {
        var settings = From(("CONNECTIONS_TABLE", "conn"), ("RELAY_CLUSTER", "lilium-local"), ("RELAY_SERVICE", "relay"), ("RELAY_HEARTBEAT_MS", "250"),
            ("RELAY_LIVE_MS", "1500"), ("RELAY_IDLE_MINUTES", "0.5"), ("RELAY_SCALE_OUT_LOAD", "0.6"), ("RELAY_START_ESTIMATE_S", "40"));
        Assert.Equal("conn", settings.Table);
        Assert.True(settings.CanScale);
        Assert.Equal(("lilium-local", "relay"), (settings.Cluster, settings.Service));
        Assert.Equal(TimeSpan.FromMilliseconds(250), settings.HeartbeatInterval);
        Assert.Equal(TimeSpan.FromMilliseconds(1500), settings.LiveWindow);
        Assert.Equal(TimeSpan.FromSeconds(30), settings.IdleTimeout);
        Assert.Equal(0.6, settings.ScaleOutLoad);
        Assert.Equal(TimeSpan.FromSeconds(40), settings.StartEstimate);
    }

    [Theory]
    [InlineData("RELAY_HEARTBEAT_MS", "soon")]
    [InlineData("RELAY_HEARTBEAT_MS", "0")]
    [InlineData("RELAY_LIVE_MS", "-1")]
    [InlineData("RELAY_SCALE_OUT_LOAD", "1.5")]
    [InlineData("RELAY_SCALE_OUT_LOAD", "NaN")]
    [InlineData("RELAY_START_ESTIMATE_S", "1e9")]
    public void A_bad_value_names_its_variable(string name, string value)
    {
        var error = Assert.Throws<FleetConfigurationException>(() => From((name, value)));
        Assert.Contains(name, error.Message, StringComparison.Ordinal);
        Assert.Contains(value, error.Message, StringComparison.Ordinal);
    }
}
