using System.Collections.Concurrent;
using System.Text.Json;
using KmsConsole.LocalKms.Protocol;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.Logging;

namespace KmsConsole.Web.Tests;

/// <summary>
/// Every SQL command the Rotation services execute on the world's SQLite database, as EF Core logs it
/// (RelationalEventId.CommandExecuted), so a test can see whether a page read the database.
/// </summary>
public sealed class SqlCommandLog : ILoggerProvider
{
    private readonly ConcurrentQueue<string> commands = new();

    public IReadOnlyList<string> Commands => [.. commands];

    public void Clear() => commands.Clear();

    public ILogger CreateLogger(string categoryName) =>
        categoryName == DbLoggerCategory.Database.Command.Name ? new CommandLogger(commands) : Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;

    public void Dispose()
    {
    }

    private sealed class CommandLogger(ConcurrentQueue<string> commands) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (eventId.Id == RelationalEventId.CommandExecuted.Id)
            {
                commands.Enqueue(formatter(state, exception));
            }
        }
    }
}

/// <summary>Every KMS operation the world's local endpoint answers, with the key it names, so a test can see whether a page read KMS.</summary>
public sealed class KmsCallLog : IKmsOperationAuthorizer
{
    private readonly ConcurrentQueue<(string Operation, string? KeyId)> calls = new();

    public IReadOnlyList<(string Operation, string? KeyId)> Calls => [.. calls];

    public void Clear() => calls.Clear();

    public int Count(string operation, string keyId) => calls.Count(c => c.Operation == operation && c.KeyId == keyId);

    void IKmsOperationAuthorizer.Authorize(string callerAccessKeyId, string operation, JsonElement requestBody) =>
        calls.Enqueue((operation, requestBody.ValueKind == JsonValueKind.Object && requestBody.TryGetProperty("KeyId", out var key) ? key.GetString() : null));
}
