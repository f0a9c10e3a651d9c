namespace KmsConsole.Web.Components.Shared;

/// <summary>Durations in words ("7 days", "1 day", "2 h 5 min").</summary>
public static class Durations
{
    public static string Days(int days) => days == 1 ? "1 day" : $"{days} days";

    public static string Of(TimeSpan span) =>
        span < TimeSpan.Zero ? "—"
        : span.TotalSeconds < 1 ? "under a second"
        : span.TotalMinutes < 1 ? $"{(int)span.TotalSeconds} s"
        : span.TotalHours < 1 ? $"{(int)span.TotalMinutes} min {span.Seconds} s"
        : span.TotalDays < 1 ? $"{(int)span.TotalHours} h {span.Minutes} min"
        : $"{(int)span.TotalDays} d {span.Hours} h";
}
