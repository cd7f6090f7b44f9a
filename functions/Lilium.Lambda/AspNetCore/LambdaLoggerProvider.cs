using Lilium.Lambda.Runtime;
using Microsoft.Extensions.Logging;

namespace Lilium.Lambda.AspNetCore;

/// <summary>Routes <see cref="ILogger"/> output to <see cref="LambdaLog"/> (JSON lines tagged with the request id).</summary>
internal sealed class LambdaLoggerProvider(LambdaLog log) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => new Logger(log, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(LambdaLog log, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var level = logLevel switch
            {
                LogLevel.Trace => "TRACE",
                LogLevel.Debug => "DEBUG",
                LogLevel.Information => "INFO",
                LogLevel.Warning => "WARN",
                LogLevel.Error => "ERROR",
                _ => "FATAL",
            };
            log.Write(level, formatter(state, exception), exception, category);
        }
    }
}
