using System.Collections.Concurrent;

namespace KmsConsole.Rotation.Runs;

/// <summary>
/// The retries the clients a step calls made on their own (the KMS client's retry policy records them) inside a scope:
/// <see cref="Observe"/> opens it for the calls made in the same async flow (one step of a run), and
/// <see cref="Describe"/> says what was retried, for the step's record.
/// </summary>
internal sealed class CallRetries : IDisposable
{
    private static readonly AsyncLocal<CallRetries?> Current = new();
    private readonly CallRetries? _outer;
    private readonly ConcurrentQueue<(string Operation, string Error)> _retries = new();

    private CallRetries(CallRetries? outer) => _outer = outer;

    /// <summary>Starts counting; nested scopes each see their own calls' retries and their outer scopes see them too.</summary>
    public static CallRetries Observe()
    {
        var scope = new CallRetries(Current.Value);
        Current.Value = scope;
        return scope;
    }

    public int Count => _retries.Count;

    internal static void Record(string operation, string error)
    {
        for (var scope = Current.Value; scope is not null; scope = scope._outer)
        {
            scope._retries.Enqueue((operation, error));
        }
    }

    /// <summary>"3 call retries: DescribeKey after ThrottlingException ×2, CreateAlias after KMSInternalException", or null when none was.</summary>
    public string? Describe()
    {
        if (_retries.IsEmpty)
        {
            return null;
        }

        var parts = _retries.GroupBy(r => r).Select(g => g.Count() == 1 ? $"{g.Key.Operation} after {g.Key.Error}" : $"{g.Key.Operation} after {g.Key.Error} ×{g.Count()}");
        return $"{_retries.Count} call retr{(_retries.Count == 1 ? "y" : "ies")}: {string.Join(", ", parts)}";
    }

    public void Dispose() => Current.Value = _outer;
}
