namespace Lilium.Data.Configuration;

/// <summary>The deployment's settings are missing or invalid; the message says which and how to fix it.</summary>
public sealed class ConfigurationException(string message, Exception? inner = null) : Exception(message, inner);
