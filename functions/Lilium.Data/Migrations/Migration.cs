namespace Lilium.Data.Migrations;

/// <summary>One versioned schema change: <c>NNNN_name.sql</c>, embedded in this assembly.</summary>
public sealed record Migration(int Version, string Name, string Sql);
