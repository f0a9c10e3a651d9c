using Cronos;

namespace KmsConsole.Rotation.Governance;

/// <summary>
/// When a policy opens campaigns by itself: at each occurrence of a cron expression in a time zone, or every day for
/// the keys whose remedy falls due within a lead time ("re-import 30 days before ValidTo"). A scheduled campaign is
/// requested by the policy and still waits for human approval: no schedule approves anything.
/// </summary>
public sealed record PolicySchedule
{
    public const int MaxCronLength = 100;

    /// <summary>IANA names are far shorter; the bound keeps a pasted text out of the database.</summary>
    public const int MaxTimeZoneLength = 100;

    /// <summary>Five-field cron (minute hour day month weekday), e.g. "0 6 * * MON".</summary>
    public string? Cron { get; init; }

    /// <summary>IANA time zone the cron expression is read in (e.g. "Europe/Berlin"); UTC when empty.</summary>
    public string? TimeZone { get; init; }

    /// <summary>Instead of a cron expression: each day, the keys whose remedy is due within this many days.</summary>
    public int? LeadTimeDays { get; init; }

    /// <summary>Per-key runs at once in the campaigns it opens.</summary>
    public int Concurrency { get; init; } = Campaigns.DefaultConcurrency;

    /// <summary>Why the schedule cannot be used, with the field at fault (named as <see cref="PolicyProposal"/>'s); null when it can.</summary>
    internal (string Field, string Problem)? Problem()
    {
        if (Cron is null == LeadTimeDays is null)
        {
            return (CronField, "A schedule has either a cron expression or a lead time, not both nor neither.");
        }

        if (Cron is { Length: > MaxCronLength })
        {
            return (CronField, $"A cron expression has at most {MaxCronLength} characters.");
        }

        if (Cron is { } cron)
        {
            try
            {
                CronExpression.Parse(cron);
            }
            catch (CronFormatException e)
            {
                return (CronField, $"'{cron}' is not a cron expression: {e.Message}");
            }
        }

        if (LeadTimeDays is { } lead && lead is < 1 or > WorkflowBounds.MaxValidToDays)
        {
            return ("Schedule.LeadTimeDays", $"The lead time must be between 1 and {WorkflowBounds.MaxValidToDays} days; {lead} was asked.");
        }

        if (TimeZone is { Length: > MaxTimeZoneLength })
        {
            return ("Schedule.TimeZone", $"A time zone's name has at most {MaxTimeZoneLength} characters.");
        }

        if (!string.IsNullOrWhiteSpace(TimeZone) && !TimeZoneInfo.TryFindSystemTimeZoneById(TimeZone, out _))
        {
            return ("Schedule.TimeZone", $"'{TimeZone}' is not a time zone this machine knows (an IANA name such as Europe/Berlin).");
        }

        return Concurrency is < 1 or > Campaigns.MaxConcurrency ? ("Schedule.Concurrency", $"A campaign runs 1 to {Campaigns.MaxConcurrency} keys at once.") : null;
    }

    /// <summary>The field a problem of the schedule as a whole is reported at: its first.</summary>
    internal const string CronField = "Schedule.Cron";

    /// <summary>The period <paramref name="now"/> falls in, since <paramref name="since"/>: its start, or null before the first.</summary>
    internal DateTimeOffset? PeriodAt(DateTimeOffset now, DateTimeOffset since)
    {
        if (LeadTimeDays is not null)
        {
            return new DateTimeOffset(now.UtcDateTime.Date, TimeSpan.Zero);
        }

        var zone = string.IsNullOrWhiteSpace(TimeZone) ? TimeZoneInfo.Utc : TimeZoneInfo.FindSystemTimeZoneById(TimeZone);
        var expression = CronExpression.Parse(Cron!);
        // The latest occurrence at or before now, no earlier than the policy's activation (a policy never catches up on its past).
        return expression.GetOccurrencesDescending(now, since, zone, fromInclusive: true, toInclusive: false).Select(o => (DateTimeOffset?)o).FirstOrDefault();
    }
}
