using System.Text.Json;

namespace Lilium.Protocol.Tests;

[Trait("Category", "Unit")]
public sealed class ProtocolSchemaTests
{
    [Fact]
    public void The_committed_schema_is_what_the_code_generates()
    {
        var path = Path.Combine(RepositoryRoot(), ProtocolSchema.RelativePath);
        var generated = ProtocolSchema.Generate();
        if (Environment.GetEnvironmentVariable("LILIUM_WRITE_PROTOCOL_SCHEMA") == "1")
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, generated);
        }

        Assert.True(File.Exists(path), $"{ProtocolSchema.RelativePath} is missing: run 'make protocol-schema'.");
        var committed = File.ReadAllText(path).ReplaceLineEndings("\n");
        Assert.True(committed == generated, $"{ProtocolSchema.RelativePath} differs from the protocol types: run 'make protocol-schema' and commit it.");
    }

    [Fact]
    public void The_schema_describes_every_action_error_and_control_type()
    {
        using var doc = JsonDocument.Parse(ProtocolSchema.Generate());
        var defs = doc.RootElement.GetProperty("$defs");
        foreach (var action in Signaling.SignalingProtocol.ClientActions)
        {
            var message = defs.GetProperty("toServer." + action);
            Assert.Equal(action, message.GetProperty("properties").GetProperty("action").GetProperty("const").GetString());
        }

        foreach (var action in Signaling.SignalingProtocol.ServerActions)
        {
            Assert.Equal(action, defs.GetProperty("toClient." + action).GetProperty("properties").GetProperty("action").GetProperty("const").GetString());
        }

        Assert.Equal(ErrorCodes.All.Count, defs.GetProperty("ErrorCode").GetProperty("enum").GetArrayLength());
        Assert.Equal("#/$defs/PermissionSet", defs.GetProperty("toServer.grant.update").GetProperty("properties").GetProperty("permissions").GetProperty("$ref").GetString());
        var required = defs.GetProperty("toServer.chat.msg").GetProperty("required").EnumerateArray().Select(e => e.GetString()!).ToArray();
        Assert.Equal(new[] { "action", "to", "ciphertext" }, required);
        Assert.Equal(8, doc.RootElement.GetProperty("x-lilium-input").GetProperty("eventTypes").GetProperty("KeyDown").GetProperty("size").GetInt32());
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Infra.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Infra.sln not found above " + AppContext.BaseDirectory);
    }
}
