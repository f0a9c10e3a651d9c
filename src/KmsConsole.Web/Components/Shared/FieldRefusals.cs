using KmsConsole.Rotation;

namespace KmsConsole.Web.Components.Shared;

/// <summary>
/// The server's refusals of a form's fields, shown next to the field they name. The rules live in the Rotation
/// services (the one home of each); a refusal naming a field this form shows is held here, any other refusal is for
/// the form's own message. Field names compare without case: services name them as their parameters or records do.
/// </summary>
public sealed class FieldRefusals
{
    private readonly HashSet<string> _fields;
    private readonly Dictionary<string, string> _problems = new(StringComparer.OrdinalIgnoreCase);

    /// <param name="fields">The fields the form shows, by the name the services give them.</param>
    public FieldRefusals(params string[] fields) => _fields = new HashSet<string>(fields, StringComparer.OrdinalIgnoreCase);

    /// <summary>Holds the refusal at its field; false when it names no field of this form.</summary>
    public bool TryHold(RotationRefusedException refusal)
    {
        ArgumentNullException.ThrowIfNull(refusal);
        // A refusal naming several fields puts each problem at its own field.
        var held = false;
        foreach (var (problemField, problem) in refusal.FieldProblems)
        {
            if (_fields.Contains(problemField))
            {
                _problems[problemField] = problem;
                held = true;
            }
        }

        if (held || refusal.Field is not { } field || !_fields.Contains(field))
        {
            return held;
        }

        _problems[field] = refusal.Message;
        return true;
    }

    public void Set(string field, string problem) => _problems[field] = problem;

    public bool Has(string field) => _problems.ContainsKey(field);

    public string? For(string field) => _problems.TryGetValue(field, out var problem) ? problem : null;

    /// <summary>The field changed: its old refusal no longer applies.</summary>
    public void Clear(string field) => _problems.Remove(field);

    public void Clear() => _problems.Clear();

    public bool Any => _problems.Count > 0;
}
