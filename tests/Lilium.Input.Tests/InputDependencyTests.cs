using Lilium.Input;

namespace Lilium.Input.Tests;

/// <summary>The SDK takes Lilium.Input; it must not drag the server's token code (Lilium.Auth) along.</summary>
[Trait("Category", "Unit")]
public sealed class InputDependencyTests
{
    [Fact]
    public void Lilium_input_references_only_the_protocol_and_the_framework()
    {
        var ours = typeof(InputGate).Assembly.GetReferencedAssemblies()
            .Select(a => a.Name!)
            .Where(n => n.StartsWith("Lilium.", StringComparison.Ordinal))
            .ToArray();
        Assert.Equal(["Lilium.Protocol"], ours);
    }
}
