using KmsConsole.Rotation.Audit;

namespace KmsConsole.Web.Audit;

/// <summary>
/// <c>dotnet run --project src/KmsConsole.Web -- verify-audit-export &lt;file.csv&gt; [--anchor &lt;sequence&gt;:&lt;hash&gt;]</c>:
/// checks an audit export offline, without the console's database, and exits 0 when it is intact.
/// </summary>
public static class AuditExportCommand
{
    public const string Name = "verify-audit-export";

    public static bool Matches(string[] args) => args.Length > 0 && args[0] == Name;

    public static int Run(string[] args, TextWriter output)
    {
        if (args.Length is not (2 or 4) || (args.Length == 4 && args[2] != "--anchor"))
        {
            output.WriteLine($"Usage: {Name} <audit export .csv> [--anchor <sequence>:<hash>]");
            return 2;
        }

        try
        {
            var anchor = args.Length == 4 ? AuditAnchor.Parse(args[3]) : null;
            using var reader = new StreamReader(args[1]);
            var result = AuditExportVerifier.Verify(reader, anchor);
            if (!result.Intact)
            {
                output.WriteLine($"NOT INTACT after {result.Rows} rows: {result.Reason}");
                return 1;
            }

            output.WriteLine($"Intact: {result.Rows} events, each hash recomputed and every link between consecutive events checked.");
            output.WriteLine(result.Complete
                ? "The export runs without a gap from the chain's first event; only an anchor (--anchor) proves nothing was cut from its end."
                : "The export skips events (filtered): every row was checked, links only between neighbouring events.");
            if (anchor is not null)
            {
                output.WriteLine($"The anchored event {anchor} is in the export, unchanged.");
            }

            if (result.Head is { } head)
            {
                output.WriteLine($"Head: {head}  (keep it to check a later export against it with --anchor)");
            }

            return 0;
        }
        catch (Exception e) when (e is FormatException or IOException or UnauthorizedAccessException)
        {
            output.WriteLine($"Cannot verify: {e.Message}");
            return 2;
        }
    }
}
