namespace KmsConsole.Web.SignIn;

// Replaced by KmsConsole.Rotation's Roles as soon as that project publishes it.
internal static class Roles
{
    public const string Viewer = "Viewer";
    public const string Requester = "Requester";
    public const string Approver = "Approver";
    public const string Auditor = "Auditor";
    public const string Admin = "Admin";
}
