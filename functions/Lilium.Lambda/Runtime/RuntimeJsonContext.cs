using System.Text.Json.Serialization;

namespace Lilium.Lambda.Runtime;

[JsonSerializable(typeof(LambdaError))]
internal sealed partial class RuntimeJsonContext : JsonSerializerContext;
