using KmsConsole.Rotation.Changes;
using KmsConsole.Web.SignIn;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.Extensions.Options;

namespace KmsConsole.Web.Components.Audit;

/// <summary>The latest audit events, newest first, read through the audit trail (which checks the reader's role) and kept current by live updates.</summary>
public partial class RecentActivity : IDisposable
{
    public const int Shown = 8;

    [Inject] private AuditTrail Trail { get; set; } = default!;
    [Inject] private IOptions<RotationOptions> Options { get; set; } = default!;
    [Inject] private IChangeFeed Changes { get; set; } = default!;
    [Inject] private ILogger<LiveUpdates> LiveLog { get; set; } = default!;

    [CascadingParameter] private Task<AuthenticationState> AuthenticationState { get; set; } = default!;

    /// <summary>The events read while prerendering, carried into the interactive render so that it does not read them again.</summary>
    [PersistentState]
    public List<AuditEvent>? Events { get; set; }

    private Actor? actor;
    private LiveUpdates? live;

    protected override async Task OnInitializedAsync()
    {
        actor = ConsoleActor.From((await AuthenticationState).User);
        live = LiveUpdates.Follow(Changes, LiveLog, InvokeAsync, ReloadAsync, ChangeKind.Audit);
        Events ??= await LatestAsync();
    }

    private async Task ReloadAsync()
    {
        Events = await LatestAsync();
        StateHasChanged();
    }

    private async Task<List<AuditEvent>> LatestAsync() =>
        [.. (await Trail.QueryAsync(actor!, new AuditFilter(), page: 0, pageSize: Shown)).Items];

    /// <summary>"run.awaiting-approval" as "Run awaiting approval".</summary>
    internal static string InWords(string action)
    {
        var words = action.Replace('.', ' ').Replace('-', ' ').Replace('_', ' ').Trim();
        return words.Length == 0 ? action : char.ToUpperInvariant(words[0]) + words[1..];
    }

    /// <summary>The page of the event's run, campaign or key, where it has one.</summary>
    internal string? LinkFor(AuditEvent e)
    {
        if (e.RunId is { } runId)
        {
            return $"runs/{runId}";
        }

        if (Rotation.Governance.Campaigns.CampaignOfSubject(e.Subject) is { } campaignId)
        {
            return $"campaigns/{campaignId}";
        }

        // "target:key id" names a key; "target:alias/…" names an alias, which the key page's address cannot hold.
        var colon = e.Subject.IndexOf(':', StringComparison.Ordinal);
        if (colon > 0 && Options.Value.FindTarget(e.Subject[..colon]) is { } target)
        {
            var keyId = e.Subject[(colon + 1)..];
            if (keyId.Length > 0 && !keyId.StartsWith("alias/", StringComparison.Ordinal))
            {
                return $"keys/{Uri.EscapeDataString(target.Name)}/{Uri.EscapeDataString(keyId)}";
            }
        }

        return null;
    }

    public void Dispose() => live?.Dispose();
}
