using System.Globalization;

namespace KmsConsole.Benchmarks.Targets;

/// <summary>The CPU time a process has used, user and system, from /proc (Linux); null where there is no /proc.</summary>
internal static class ProcessCpu
{
    /// <summary>/proc/PID/stat counts in clock ticks, 100 a second on Linux.</summary>
    private const double TicksPerSecond = 100;

    public static double? Seconds(int processId)
    {
        var path = $"/proc/{processId}/stat";
        if (!File.Exists(path))
        {
            return null;
        }

        // The fields after the command name, which is in parentheses and may hold spaces: utime and stime are the 12th and 13th.
        var fields = File.ReadAllText(path).Split(')')[^1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / TicksPerSecond;
    }
}
