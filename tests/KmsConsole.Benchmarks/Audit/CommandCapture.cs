using Microsoft.Extensions.Logging;

namespace KmsConsole.Benchmarks.Audit;

/// <summary>
/// The SQL EF Core sends while <see cref="Capturing"/> is on, read from its own command log (the console's contexts are
/// built with the host's logger factory), so each query's plan can be asked of the database afterwards.
/// </summary>
internal sealed class CommandCapture : ILoggerProvider
{
    public const string Category = "Microsoft.EntityFrameworkCore.Database.Command";

    // RelationalEventId.CommandExecuted.
    private const int CommandExecuted = 20101;

    private readonly List<string> _commands = [];

    public bool Capturing { get; set; }

    /// <summary>The commands captured since the last call, and a fresh start.</summary>
    public IReadOnlyList<string> Take()
    {
        lock (_commands)
        {
            var taken = _commands.ToList();
            _commands.Clear();
            return taken;
        }
    }

    public ILogger CreateLogger(string categoryName) => categoryName == Category ? new Logger(this) : NullLogger.Instance;

    public void Dispose()
    {
    }

    private sealed class Logger(CommandCapture capture) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        // Always on: EF Core may remember a logger it found disabled; a command formatted per query costs nothing per row.
        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!capture.Capturing || eventId.Id != CommandExecuted || state is not IReadOnlyList<KeyValuePair<string, object?>> values)
            {
                return;
            }

            if (values.FirstOrDefault(v => v.Key == "commandText").Value is string sql)
            {
                lock (capture._commands)
                {
                    capture._commands.Add(sql);
                }
            }
        }
    }

    private sealed class NullLogger : ILogger
    {
        public static readonly NullLogger Instance = new();

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => false;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
        }
    }
}
