using KmsConsole.Rotation.Automation;
using KmsConsole.Web.Components.Shared;
using KmsConsole.Web.SignIn;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;

namespace KmsConsole.Web.Components.Tokens;

/// <summary>The signed-in person's personal access tokens (an Admin's view of everyone's): make one, see its use, revoke.</summary>
public partial class AccessTokensPage
{
    [Inject] private PersonalAccessTokens Tokens { get; set; } = default!;

    [Inject] private TimeProvider Time { get; set; } = default!;

    [CascadingParameter] private Task<AuthenticationState> AuthenticationState { get; set; } = default!;

    private Actor _actor = default!;
    private IReadOnlyList<string> _ownRoles = [];
    private readonly HashSet<string> _chosenRoles = new(StringComparer.Ordinal);
    private IReadOnlyList<AccessToken> _tokens = [];
    private bool _isAdmin;
    private bool _everyone;
    private bool _busy;
    private string _name = "";
    private int _days = 90;
    private CreatedAccessToken? _created;
    private string? _refusal;

    // The names PersonalAccessTokens gives the fields it refuses.
    private const string NameField = "name";
    private const string DaysField = "expiresInDays";
    private const string RolesField = "roles";
    private readonly FieldRefusals _fields = new(NameField, DaysField, RolesField);

    private DateTimeOffset Now => Time.GetUtcNow();

    protected override async Task OnInitializedAsync()
    {
        _actor = ConsoleActor.From((await AuthenticationState).User);
        _isAdmin = _actor.Roles.Contains(Roles.Admin);
        _ownRoles = ConsoleRoleMapping.ConsoleRoles.Where(r => _isAdmin || _actor.Roles.Contains(r)).ToList();
        await LoadAsync();
    }

    private async Task LoadAsync() =>
        _tokens = _everyone ? await Tokens.ListAllAsync(_actor) : await Tokens.ListOwnAsync(_actor);

    private void Choose(string role, bool on)
    {
        if (on)
        {
            _chosenRoles.Add(role);
        }
        else
        {
            _chosenRoles.Remove(role);
        }
    }

    private async Task CreateAsync()
    {
        _busy = true;
        _refusal = null;
        _fields.Clear();
        _created = null;
        try
        {
            _created = await Tokens.CreateAsync(_actor, _name, _days, _chosenRoles.ToList());
            _name = "";
            _chosenRoles.Clear();
            await LoadAsync();
        }
        catch (RotationRefusedException refused)
        {
            if (!_fields.TryHold(refused))
            {
                _refusal = refused.Message;
            }
        }
        finally
        {
            _busy = false;
        }
    }

    private async Task RevokeAsync(AccessToken token)
    {
        _refusal = null;
        try
        {
            await Tokens.RevokeAsync(_actor, token.Id);
            if (_created?.Token.Id == token.Id)
            {
                _created = null;
            }
        }
        catch (RotationRefusedException refused)
        {
            _refusal = refused.Message;
        }

        await LoadAsync();
    }

    private async Task ShowEveryoneAsync(bool everyone)
    {
        _everyone = everyone;
        await LoadAsync();
    }

    private string StateOf(AccessToken token) =>
        token.RevokedAt is { } revoked ? $"revoked {revoked:yyyy-MM-dd} by {token.RevokedBy}"
        : token.ExpiresAt <= Now ? "expired"
        : "active";
}
