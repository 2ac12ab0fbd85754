using Microsoft.Extensions.Logging;

namespace Mesh.Kernel.Logging;

/// <summary>Copies log entries written while a task runs into that task's log.</summary>
internal sealed class TaskLoggerProvider : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => new TaskLogger(categoryName);

    public void Dispose() { }

    private sealed class TaskLogger(string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None && TaskContext.Current is not null;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var ctx = TaskContext.Current;
            if (ctx is null) return;
            ctx.Log($"{logLevel}: {category}: {formatter(state, exception)}{(exception is null ? "" : " " + exception.Message)}");
        }
    }
}
