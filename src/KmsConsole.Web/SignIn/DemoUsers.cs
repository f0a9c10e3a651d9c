namespace KmsConsole.Web.SignIn;

/// <summary>A user offered by local sign-in so one person can play every part of a rotation.</summary>
public sealed record DemoUser(string UserId, string DisplayName, string Role, string WhatTheyDo);

/// <summary>The demo users of local sign-in (loopback only, see <see cref="LocalSignIn"/>).</summary>
public static class DemoUsers
{
    public static IReadOnlyList<DemoUser> All { get; } =
    [
        new("rita", "Rita Requester", Roles.Requester, "asks for rotations"),
        new("alice", "Alice Approver", Roles.Approver, "approves or rejects other people's runs"),
        new("bob", "Bob Approver", Roles.Approver, "a second approver"),
        new("audrey", "Audrey Auditor", Roles.Auditor, "reads, verifies and exports the audit trail"),
        new("adam", "Adam Admin", Roles.Admin, "administers the console"),
        new("victor", "Victor Viewer", Roles.Viewer, "sees keys, runs and the dashboard, changes nothing"),
    ];

    public static DemoUser? Find(string? userId) =>
        All.FirstOrDefault(u => string.Equals(u.UserId, userId, StringComparison.OrdinalIgnoreCase));

    /// <summary>Every signed-in user may view; the demo user's own role comes on top.</summary>
    public static IReadOnlyList<string> RolesOf(DemoUser user) =>
        user.Role == Roles.Viewer ? [Roles.Viewer] : [Roles.Viewer, user.Role];
}
