using Microsoft.Extensions.Logging;

namespace MenoTime.AppHost.Hosting.Dashboard;

/// <summary>The dashboard's warnings and errors in the AppHost's console: a failure there is seen, not silent.</summary>
internal sealed class HostConsoleLoggerProvider(HostConsole console) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => new Logger(console);

    public void Dispose()
    {
    }

    private sealed class Logger(HostConsole console) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                console.Error($"dashboard: {formatter(state, exception)}{(exception is null ? "" : $"\n{exception}")}");
            }
        }
    }
}
