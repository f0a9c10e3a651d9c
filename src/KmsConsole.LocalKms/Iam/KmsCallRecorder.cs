using System.Collections.Concurrent;

namespace KmsConsole.LocalKms.Iam;

/// <summary>One IAM check of a KMS call: who asked, for which action on which resource, and the answer.</summary>
public sealed record RecordedKmsCall(string AccessKeyId, string Action, string Resource, bool Allowed);

/// <summary>
/// Keeps every (action, resource) the endpoint checks against IAM while <see cref="Recording"/> is on, per caller —
/// so a test can compare what a workflow really called with what its permission requirements say. Off by default:
/// nothing is kept, and with IAM enforcement off the checks are not even computed.
/// </summary>
public sealed class KmsCallRecorder
{
    private readonly ConcurrentQueue<RecordedKmsCall> _calls = new();

    public bool Recording { get; set; }

    public void Record(string accessKeyId, string action, string resource, bool allowed)
    {
        if (Recording)
        {
            _calls.Enqueue(new RecordedKmsCall(accessKeyId, action, resource, allowed));
        }
    }

    /// <summary>The calls of one caller (its access key id), in the order they were checked.</summary>
    public IReadOnlyList<RecordedKmsCall> CallsBy(string accessKeyId) =>
        _calls.Where(c => string.Equals(c.AccessKeyId, accessKeyId, StringComparison.Ordinal)).ToList();

    public void Clear() => _calls.Clear();
}
