using System.Globalization;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Microsoft.AspNetCore.Http;

namespace KmsConsole.LocalKms.Iam;

/// <summary>
/// IAM's Query protocol on the local endpoint: a form-encoded POST with Action=...&amp;Version=2010-05-08, SigV4-signed
/// for service "iam" (STS GetCallerIdentity, Version=2011-06-15, is answered too, for service "sts"). Serves
/// CreateRole, GetRole, PutRolePolicy, ListRolePolicies, GetRolePolicy, CreatePolicy, GetPolicy, GetPolicyVersion,
/// CreatePolicyVersion, AttachRolePolicy, ListAttachedRolePolicies and SimulatePrincipalPolicy, answering XML
/// in IAM's namespace, errors as ErrorResponse/Error/{Type,Code,Message} with a RequestId, and policy documents
/// URL-encoded as IAM does. The signature itself is not verified (the endpoint holds no secrets); the access key
/// id in the Credential scope names the caller.
/// </summary>
public sealed partial class IamQueryEndpoint(IamStore store, LocalIamOptions options)
{
    public const string IamVersion = "2010-05-08";
    public const string StsVersion = "2011-06-15";
    private static readonly XNamespace IamNs = "https://iam.amazonaws.com/doc/2010-05-08/";
    private static readonly XNamespace StsNs = "https://sts.amazonaws.com/doc/2011-06-15/";

    /// <summary>True for a Query-protocol request (IAM/STS): a POST with a form body and no X-Amz-Target, unlike KMS's JSON 1.1 calls.</summary>
    public static bool IsIamRequest(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return HttpMethods.IsPost(request.Method)
            && !request.Headers.ContainsKey("X-Amz-Target")
            && request.ContentType is { } type
            && type.StartsWith("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>The access key id of a SigV4 Authorization header ("AWS4-HMAC-SHA256 Credential=AKID/date/region/service/aws4_request, ..."), and its service.</summary>
    public static (string AccessKeyId, string Service)? ReadCredential(string? authorization)
    {
        if (authorization is null)
        {
            return null;
        }

        var match = CredentialPattern().Match(authorization);
        return match.Success ? (match.Groups["key"].Value, match.Groups["service"].Value) : null;
    }

    public async Task HandleAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var requestId = Guid.NewGuid().ToString();
        context.Response.Headers["x-amzn-RequestId"] = requestId;
        var ns = IamNs;
        try
        {
            if (!context.Request.HasFormContentType)
            {
                throw new IamErrorException("InvalidAction", 400, "IAM requests are form-encoded POSTs with an Action parameter.");
            }

            var form = await context.Request.ReadFormAsync(context.RequestAborted).ConfigureAwait(false);
            var p = new Parameters(form);
            var action = p.Optional("Action") ?? throw new IamErrorException("MissingAction", 400, "Missing Action");
            var credential = ReadCredential(context.Request.Headers.Authorization.ToString())
                ?? throw new IamErrorException("MissingAuthenticationToken", 403, "Request is missing Authentication Token");

            if (action == "GetCallerIdentity")
            {
                ns = StsNs;
                await WriteAsync(context, ns, action, await GetCallerIdentityAsync(credential.AccessKeyId, context.RequestAborted).ConfigureAwait(false), requestId).ConfigureAwait(false);
                return;
            }

            if (p.Optional("Version") is { } version && version != IamVersion)
            {
                throw new IamErrorException("InvalidAction", 400, $"Could not find operation {action} for version {version}");
            }

            var ct = context.RequestAborted;
            XElement? result = action switch
            {
                "CreateRole" => await CreateRoleAsync(p, ct).ConfigureAwait(false),
                "GetRole" => Role(await store.GetRoleAsync(p.RoleName(), ct).ConfigureAwait(false)),
                "PutRolePolicy" => await PutRolePolicyAsync(p, ct).ConfigureAwait(false),
                "ListRolePolicies" => Page("PolicyNames", (await store.ListRolePoliciesAsync(p.RoleName(), ct).ConfigureAwait(false)).Select(n => new XElement(IamNs + "member", n)), p),
                "GetRolePolicy" => await GetRolePolicyAsync(p, ct).ConfigureAwait(false),
                "CreatePolicy" => await CreatePolicyAsync(p, ct).ConfigureAwait(false),
                "GetPolicy" => new XElement(IamNs + "Policy", PolicyContent(await store.GetPolicyAsync(p.PolicyArn(), ct).ConfigureAwait(false))),
                "GetPolicyVersion" => PolicyVersion(await store.GetPolicyVersionAsync(p.PolicyArn(), p.VersionId(), ct).ConfigureAwait(false), withDocument: true),
                "CreatePolicyVersion" => await CreatePolicyVersionAsync(p, ct).ConfigureAwait(false),
                "AttachRolePolicy" => await AttachRolePolicyAsync(p, ct).ConfigureAwait(false),
                "ListAttachedRolePolicies" => await ListAttachedRolePoliciesAsync(p, ct).ConfigureAwait(false),
                "SimulatePrincipalPolicy" => await SimulatePrincipalPolicyAsync(p, ct).ConfigureAwait(false),
                _ => throw new IamErrorException("InvalidAction", 400, $"Could not find operation {action} for version {p.Optional("Version") ?? IamVersion}"),
            };
            await WriteAsync(context, ns, action, result, requestId).ConfigureAwait(false);
        }
        catch (IamErrorException ex)
        {
            await WriteErrorAsync(context, ns, ex.StatusCode, ex.Code, ex.Message, requestId).ConfigureAwait(false);
        }
        catch (IamPolicyDocumentException ex)
        {
            await WriteErrorAsync(context, ns, 400, "MalformedPolicyDocument", ex.Message, requestId).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is FormatException or OverflowException)
        {
            // A number parameter (MaxItems, MaxSessionDuration) that is not one.
            await WriteErrorAsync(context, ns, 400, "ValidationError", "1 validation error detected: a numeric parameter is not a valid integer", requestId).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The caller went away.
        }
        catch (Exception ex) when (ex is Microsoft.Data.Sqlite.SqliteException or IOException or InvalidOperationException)
        {
            await WriteErrorAsync(context, ns, 500, "ServiceFailure", "The request processing has failed because of an unknown error, exception or failure.", requestId).ConfigureAwait(false);
        }
    }

    private async Task<XElement> GetCallerIdentityAsync(string accessKeyId, CancellationToken ct)
    {
        var role = await store.ResolvePrincipalAsync(accessKeyId, ct).ConfigureAwait(false);
        var arn = role is null
            ? $"arn:aws:iam::{options.AccountId}:user/{accessKeyId}"
            : IamPolicyEnforcer.SessionArn(options.AccountId, role.RoleName, accessKeyId);
        var userId = role is null ? accessKeyId : $"{role.RoleId}:{accessKeyId}";
        return new XElement(StsNs + "GetCallerIdentityResult",
            new XElement(StsNs + "UserId", userId), new XElement(StsNs + "Account", options.AccountId), new XElement(StsNs + "Arn", arn));
    }

    private async Task<XElement> CreateRoleAsync(Parameters p, CancellationToken ct)
    {
        var name = p.RoleName();
        var path = p.Path();
        var trust = p.Document("AssumeRolePolicyDocument");
        ValidateTrustPolicy(trust);
        var maxSession = p.Optional("MaxSessionDuration") is { } text ? int.Parse(text, CultureInfo.InvariantCulture) : 3600;
        if (maxSession is < 3600 or > 43200)
        {
            throw IamErrorException.Validation($"1 validation error detected: Value '{maxSession}' at 'maxSessionDuration' failed to satisfy constraint: Member must have value less than or equal to 43200");
        }

        return Role(await store.CreateRoleAsync(name, path, trust, p.Optional("Description"), maxSession, ct).ConfigureAwait(false));
    }

    private async Task<XElement?> PutRolePolicyAsync(Parameters p, CancellationToken ct)
    {
        var role = p.RoleName();
        var name = p.PolicyName();
        var document = p.Document("PolicyDocument");
        IamPolicyDocument.Parse(document);
        await store.PutRolePolicyAsync(role, name, document, ct).ConfigureAwait(false);
        return null;
    }

    private async Task<XElement> GetRolePolicyAsync(Parameters p, CancellationToken ct)
    {
        var (role, name, document) = await store.GetRolePolicyAsync(p.RoleName(), p.PolicyName(), ct).ConfigureAwait(false);
        return Result(new XElement(IamNs + "RoleName", role), new XElement(IamNs + "PolicyName", name), new XElement(IamNs + "PolicyDocument", Uri.EscapeDataString(document)));
    }

    private async Task<XElement> CreatePolicyAsync(Parameters p, CancellationToken ct)
    {
        var name = p.PolicyName();
        var path = p.Path();
        var document = p.Document("PolicyDocument");
        IamPolicyDocument.Parse(document);
        var description = p.Optional("Description");
        if (description is { Length: > 1000 })
        {
            throw IamErrorException.Validation("1 validation error detected: Value at 'description' failed to satisfy constraint: Member must have length less than or equal to 1000");
        }

        var policy = await store.CreatePolicyAsync(name, path, document, description, ct).ConfigureAwait(false);
        return new XElement(IamNs + "Policy", PolicyContent(policy));
    }

    private async Task<XElement> CreatePolicyVersionAsync(Parameters p, CancellationToken ct)
    {
        var arn = p.PolicyArn();
        var document = p.Document("PolicyDocument");
        IamPolicyDocument.Parse(document);
        var setAsDefault = string.Equals(p.Optional("SetAsDefault"), "true", StringComparison.OrdinalIgnoreCase);
        return PolicyVersion(await store.CreatePolicyVersionAsync(arn, document, setAsDefault, ct).ConfigureAwait(false), withDocument: false);
    }

    private async Task<XElement?> AttachRolePolicyAsync(Parameters p, CancellationToken ct)
    {
        await store.AttachRolePolicyAsync(p.RoleName(), p.PolicyArn(), ct).ConfigureAwait(false);
        return null;
    }

    private async Task<XElement> ListAttachedRolePoliciesAsync(Parameters p, CancellationToken ct)
    {
        var attached = await store.ListAttachedRolePoliciesAsync(p.RoleName(), ct).ConfigureAwait(false);
        return Page("AttachedPolicies", attached.Select(a => new XElement(IamNs + "member",
            new XElement(IamNs + "PolicyName", a.PolicyName), new XElement(IamNs + "PolicyArn", a.PolicyArn))), p);
    }

    private async Task<XElement> SimulatePrincipalPolicyAsync(Parameters p, CancellationToken ct)
    {
        var source = p.Required("PolicySourceArn", "policySourceArn");
        var parts = source.Split(':', 6);
        if (parts.Length != 6 || parts[0] != "arn" || parts[2] != "iam")
        {
            throw IamErrorException.InvalidInput($"ARN {source} is not valid.");
        }

        if (!parts[5].StartsWith("role/", StringComparison.Ordinal))
        {
            throw IamErrorException.InvalidInput($"The local IAM endpoint simulates roles only; {source} is not a role.");
        }

        var roleName = parts[5][(parts[5].LastIndexOf('/') + 1)..];
        var actions = p.Members("ActionNames");
        if (actions.Count == 0)
        {
            throw IamErrorException.Validation("1 validation error detected: Value null at 'actionNames' failed to satisfy constraint: Member must not be null");
        }

        var resources = p.Members("ResourceArns");
        if (resources.Count == 0)
        {
            resources = ["*"];
        }

        var policies = (await store.LoadRolePoliciesAsync(roleName, ct).ConfigureAwait(false)).ToList();
        var extra = p.Members("PolicyInputList");
        for (var i = 0; i < extra.Count; i++)
        {
            policies.Add(new IamPolicySource($"PolicyInputList.{i + 1}", "none", IamPolicyDocument.Parse(extra[i])));
        }

        var members = new List<XElement>();
        foreach (var action in actions)
        {
            foreach (var resource in resources)
            {
                var outcome = IamPolicyEvaluator.Evaluate(policies, action, resource);
                members.Add(new XElement(IamNs + "member",
                    new XElement(IamNs + "EvalActionName", action),
                    new XElement(IamNs + "EvalResourceName", resource),
                    new XElement(IamNs + "EvalDecision", DecisionWord(outcome.Decision)),
                    new XElement(IamNs + "MatchedStatements", outcome.MatchedStatements.Select(m => new XElement(IamNs + "member",
                        new XElement(IamNs + "SourcePolicyId", m.Source.Id),
                        new XElement(IamNs + "SourcePolicyType", m.Source.Type),
                        new XElement(IamNs + "StartPosition", new XElement(IamNs + "Line", m.Statement.StartLine), new XElement(IamNs + "Column", m.Statement.StartColumn)),
                        new XElement(IamNs + "EndPosition", new XElement(IamNs + "Line", m.Statement.EndLine), new XElement(IamNs + "Column", m.Statement.EndColumn))))),
                    new XElement(IamNs + "MissingContextValues", outcome.MissingContextValues.Select(k => new XElement(IamNs + "member", k)))));
            }
        }

        return Page("EvaluationResults", members, p);
    }

    public static string DecisionWord(PermissionDecision decision) => decision switch
    {
        PermissionDecision.Allowed => "allowed",
        PermissionDecision.ExplicitDeny => "explicitDeny",
        _ => "implicitDeny",
    };

    private static void ValidateTrustPolicy(string document)
    {
        // A trust policy names principals, so it is not an identity policy: check only that it is a JSON object with statements.
        try
        {
            using var json = System.Text.Json.JsonDocument.Parse(document);
            if (json.RootElement.ValueKind != System.Text.Json.JsonValueKind.Object || !json.RootElement.TryGetProperty("Statement", out _))
            {
                throw IamErrorException.Malformed("Syntax errors in policy.");
            }
        }
        catch (System.Text.Json.JsonException)
        {
            throw IamErrorException.Malformed("Syntax errors in policy.");
        }
    }

    // List results carry IsTruncated and a Marker; the marker is the offset of the next item.
    private static XElement Page(string listName, IEnumerable<XElement> items, Parameters p)
    {
        var all = items.ToList();
        var start = p.Optional("Marker") is { } marker && int.TryParse(marker, NumberStyles.None, CultureInfo.InvariantCulture, out var offset) ? offset : 0;
        var max = p.Optional("MaxItems") is { } text ? int.Parse(text, CultureInfo.InvariantCulture) : 100;
        if (max is < 1 or > 1000)
        {
            throw IamErrorException.Validation($"1 validation error detected: Value '{max}' at 'maxItems' failed to satisfy constraint: Member must have value less than or equal to 1000");
        }

        var page = all.Skip(start).Take(max).ToList();
        var truncated = start + page.Count < all.Count;
        var result = Result(new XElement(IamNs + listName, page), new XElement(IamNs + "IsTruncated", truncated ? "true" : "false"));
        if (truncated)
        {
            result.Add(new XElement(IamNs + "Marker", (start + page.Count).ToString(CultureInfo.InvariantCulture)));
        }

        return result;
    }

    private static XElement Result(params object[] content) => new(IamNs + "Result", content);

    private static XElement Role(StoredRole role) => new(IamNs + "Role",
        new XElement(IamNs + "Path", role.Path),
        new XElement(IamNs + "RoleName", role.RoleName),
        new XElement(IamNs + "RoleId", role.RoleId),
        new XElement(IamNs + "Arn", role.Arn),
        new XElement(IamNs + "CreateDate", Format(role.CreateDate)),
        new XElement(IamNs + "AssumeRolePolicyDocument", Uri.EscapeDataString(role.AssumeRolePolicyDocument)),
        role.Description is null ? null : new XElement(IamNs + "Description", role.Description),
        new XElement(IamNs + "MaxSessionDuration", role.MaxSessionDuration));

    private static object[] PolicyContent(StoredPolicy policy) =>
    [
        new XElement(IamNs + "PolicyName", policy.PolicyName),
        new XElement(IamNs + "PolicyId", policy.PolicyId),
        new XElement(IamNs + "Arn", policy.Arn),
        new XElement(IamNs + "Path", policy.Path),
        new XElement(IamNs + "DefaultVersionId", policy.DefaultVersionId),
        new XElement(IamNs + "AttachmentCount", policy.AttachmentCount),
        new XElement(IamNs + "PermissionsBoundaryUsageCount", 0),
        new XElement(IamNs + "IsAttachable", "true"),
        policy.Description is null ? new XElement(IamNs + "Description") : new XElement(IamNs + "Description", policy.Description),
        new XElement(IamNs + "CreateDate", Format(policy.CreateDate)),
        new XElement(IamNs + "UpdateDate", Format(policy.UpdateDate)),
    ];

    private static XElement PolicyVersion(StoredPolicyVersion version, bool withDocument) => new(IamNs + "PolicyVersion",
        withDocument ? new XElement(IamNs + "Document", Uri.EscapeDataString(version.Document)) : null,
        new XElement(IamNs + "VersionId", version.VersionId),
        new XElement(IamNs + "IsDefaultVersion", version.IsDefaultVersion ? "true" : "false"),
        new XElement(IamNs + "CreateDate", Format(version.CreateDate)));

    private static string Format(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static async Task WriteAsync(HttpContext context, XNamespace ns, string action, XElement? result, string requestId)
    {
        var root = new XElement(ns + (action + "Response"));
        if (result is not null)
        {
            // Single-entity answers (Role, Policy, PolicyVersion) are wrapped in <ActionResult>; list and
            // simulation answers are built as a generic Result and renamed.
            var wrapped = result.Name.LocalName is "Result" or "GetCallerIdentityResult" ? result : new XElement(ns + "Result", result);
            wrapped.Name = ns + (action + "Result");
            root.Add(wrapped);
        }

        root.Add(new XElement(ns + "ResponseMetadata", new XElement(ns + "RequestId", requestId)));
        context.Response.StatusCode = 200;
        context.Response.ContentType = "text/xml";
        await context.Response.WriteAsync(new XDocument(root).ToString(SaveOptions.DisableFormatting), context.RequestAborted).ConfigureAwait(false);
    }

    private static async Task WriteErrorAsync(HttpContext context, XNamespace ns, int status, string code, string message, string requestId)
    {
        var sender = status < 500 ? "Sender" : "Receiver";
        var document = new XElement(ns + "ErrorResponse",
            new XElement(ns + "Error", new XElement(ns + "Type", sender), new XElement(ns + "Code", code), new XElement(ns + "Message", message)),
            new XElement(ns + "RequestId", requestId));
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/xml";
        await context.Response.WriteAsync(new XDocument(document).ToString(SaveOptions.DisableFormatting), context.RequestAborted).ConfigureAwait(false);
    }

    [GeneratedRegex(@"Credential=(?<key>[^/,\s]+)/\d{8}/[^/]+/(?<service>[^/]+)/aws4_request")]
    private static partial Regex CredentialPattern();

    /// <summary>Form parameters with IAM's validation wording (ValidationError for shape constraints).</summary>
    private sealed partial class Parameters(IFormCollection form)
    {
        public string? Optional(string name) => form.TryGetValue(name, out var value) && value.Count > 0 ? value[0] : null;

        public string Required(string name, string memberName) =>
            Optional(name) is { Length: > 0 } value ? value
            : throw IamErrorException.Validation($"1 validation error detected: Value null at '{memberName}' failed to satisfy constraint: Member must not be null");

        public string RoleName() => Named("RoleName", "roleName", 64);

        public string PolicyName() => Named("PolicyName", "policyName", 128);

        public string PolicyArn()
        {
            var arn = Required("PolicyArn", "policyArn");
            if (!arn.StartsWith("arn:", StringComparison.Ordinal) || arn.Split(':').Length < 6)
            {
                throw IamErrorException.InvalidInput($"ARN {arn} is not valid.");
            }

            return arn;
        }

        public string VersionId()
        {
            var id = Required("VersionId", "versionId");
            return VersionIdPattern().IsMatch(id) ? id
                : throw IamErrorException.Validation($"1 validation error detected: Value '{id}' at 'versionId' failed to satisfy constraint: Member must satisfy regular expression pattern: v[1-9][0-9]*(\\.[A-Za-z0-9-]*)?");
        }

        public string Path()
        {
            var path = Optional("Path") ?? "/";
            return PathPattern().IsMatch(path) && path.Length <= 512 ? path
                : throw IamErrorException.Validation($"1 validation error detected: Value '{path}' at 'path' failed to satisfy constraint: Member must satisfy regular expression pattern: (\\u002F)|(\\u002F[\\u0021-\\u007F]+\\u002F)");
        }

        public string Document(string name)
        {
            var document = Required(name, char.ToLowerInvariant(name[0]) + name[1..]);
            return document.Length <= 131072 ? document
                : throw IamErrorException.Validation($"1 validation error detected: Value at '{char.ToLowerInvariant(name[0]) + name[1..]}' failed to satisfy constraint: Member must have length less than or equal to 131072");
        }

        /// <summary>Values of Name.member.1, Name.member.2, ... in order.</summary>
        public List<string> Members(string name)
        {
            var list = new List<string>();
            for (var i = 1; Optional($"{name}.member.{i}") is { } value; i++)
            {
                list.Add(value);
            }

            return list;
        }

        private string Named(string name, string memberName, int max)
        {
            var value = Required(name, memberName);
            if (value.Length > max)
            {
                throw IamErrorException.Validation($"1 validation error detected: Value '{value}' at '{memberName}' failed to satisfy constraint: Member must have length less than or equal to {max}");
            }

            return NamePattern().IsMatch(value) ? value
                : throw IamErrorException.Validation($"1 validation error detected: Value '{value}' at '{memberName}' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+");
        }

        [GeneratedRegex(@"^[\w+=,.@-]+$")]
        private static partial Regex NamePattern();

        [GeneratedRegex(@"^v[1-9][0-9]*(\.[A-Za-z0-9-]*)?$")]
        private static partial Regex VersionIdPattern();

        [GeneratedRegex(@"^(/|/[\u0021-\u007F]+/)$")]
        private static partial Regex PathPattern();
    }
}
