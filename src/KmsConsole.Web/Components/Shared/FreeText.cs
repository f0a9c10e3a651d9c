namespace KmsConsole.Web.Components.Shared;

/// <summary>
/// The limit on every free-text field (justifications, reasons, comments): far below what a circuit carries in one
/// message, so a long paste is refused at the field with a counter instead of dropping the circuit and the form.
/// </summary>
public static class FreeText
{
    public const int MaxLength = 4000;

    /// <summary>The field's problem when the text is longer than <see cref="MaxLength"/>; null otherwise.</summary>
    public static string? TooLong(string? text) =>
        text is { Length: > MaxLength } ? $"At most {MaxLength:N0} characters; this has {text.Length:N0}." : null;
}
