namespace KmsConsole.Rotation.Iam;

/// <summary>
/// IAM returns policy documents (GetRolePolicy, GetPolicyVersion, GetRole's AssumeRolePolicyDocument)
/// URL-encoded per RFC 3986 — "%7B%22Version%22..." — and every SDK decodes them before use. Some emulators
/// (moto_server for GetPolicyVersion) send them already decoded. A JSON policy document always starts with
/// '{' after optional whitespace and an encoded one never does (the brace is %7B), so that first character
/// tells the two apart without guessing at '%' signs inside the JSON itself.
/// </summary>
public static class PolicyDocumentText
{
    public static string Decode(string wireText)
    {
        ArgumentNullException.ThrowIfNull(wireText);
        var trimmed = wireText.TrimStart();
        if (trimmed.Length == 0 || trimmed[0] == '{')
        {
            return wireText;
        }

        // Uri.UnescapeDataString leaves '+' alone, which is right: IAM encodes a space as %20, and a '+' in
        // a document (e.g. an ARN path) arrives as %2B.
        return Uri.UnescapeDataString(wireText);
    }

    /// <summary>How IAM puts a document on the wire (RFC 3986 percent-encoding).</summary>
    public static string Encode(string document) => Uri.EscapeDataString(document);
}
