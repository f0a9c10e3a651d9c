using System.Globalization;
using System.Net;
using System.Xml.Linq;
using Amazon;
using Amazon.Runtime;
using Amazon.Runtime.Signing;
using Amazon.SecurityToken;
using Amazon.SecurityToken.Model;

namespace KmsConsole.Rotation.Iam;

/// <summary>Where and how <see cref="IamQueryClient"/> talks to IAM.</summary>
public sealed class IamClientOptions
{
    /// <summary>IAM is a global service with one endpoint per partition; a local endpoint or emulator goes here.</summary>
    public Uri ServiceUrl { get; set; } = new("https://iam.amazonaws.com/");

    /// <summary>IAM signs in us-east-1 in the aws partition whatever region the caller works in.</summary>
    public string SigningRegion { get; set; } = "us-east-1";

    /// <summary>STS endpoint for GetCallerIdentity; null means the SDK's regional default for <see cref="SigningRegion"/>.</summary>
    public Uri? StsServiceUrl { get; set; }

    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>MaxItems sent with list calls (1–1000); null leaves IAM's default of 100. Every page is read either way.</summary>
    public int? PageSize { get; set; }
}

/// <summary>
/// IAM over its Query protocol on AWSSDK.Core: each call is a form-encoded POST of Action=...&amp;Version=2010-05-08
/// and its parameters, signed with SigV4 (service "iam") by the SDK's <see cref="SigV4SigningHandler"/> from the
/// <see cref="AWSCredentials"/> given (any source of the SDK's credential chain); answers are XML, errors an
/// <c>ErrorResponse/Error/Code</c> document mapped to <see cref="IamServiceException"/>.
/// </summary>
public sealed class IamQueryClient : IIamClient, IDisposable
{
    private const string IamVersion = "2010-05-08";
    private readonly HttpClient _http;
    private readonly AmazonSecurityTokenServiceClient _sts;
    private readonly Uri _serviceUrl;
    private readonly int? _pageSize;
    private readonly string _signingRegion;

    public IamQueryClient(AWSCredentials credentials, IamClientOptions? options = null, HttpMessageHandler? transport = null)
    {
        ArgumentNullException.ThrowIfNull(credentials);
        options ??= new IamClientOptions();
        _serviceUrl = options.ServiceUrl;
        _pageSize = options.PageSize;
        _signingRegion = options.SigningRegion;
        var region = RegionEndpoint.GetBySystemName(options.SigningRegion);

        // Redirects must not be followed below the signer (a replayed signature would be rejected), and
        // retries, if any are added, belong above it so each attempt is signed afresh.
        var inner = transport ?? new SocketsHttpHandler { AllowAutoRedirect = false };
        _http = new HttpClient(new SigV4SigningHandler(credentials, region, "iam", inner)) { Timeout = options.Timeout };

        var stsConfig = new AmazonSecurityTokenServiceConfig { AuthenticationRegion = options.SigningRegion };
        if (options.StsServiceUrl is { } stsUrl)
        {
            stsConfig.ServiceURL = stsUrl.ToString();
        }
        else
        {
            stsConfig.RegionEndpoint = region;
        }

        _sts = new AmazonSecurityTokenServiceClient(credentials, stsConfig);
    }

    /// <summary>A client signing with the SDK's default credential chain (environment, profile, SSO, container, instance role ...).</summary>
    public static IamQueryClient FromDefaultCredentials(IamClientOptions? options = null) =>
        new(Amazon.Runtime.Credentials.DefaultAWSCredentialsIdentityResolver.GetCredentials(), options);

    public async Task<IamRole> GetRoleAsync(string roleName, CancellationToken cancellationToken = default)
    {
        var result = await CallAsync("GetRole", [("RoleName", roleName)], cancellationToken).ConfigureAwait(false);
        return ReadRole(Child(result, "Role"));
    }

    public async Task<IReadOnlyList<IamAttachedPolicy>> ListAttachedRolePoliciesAsync(string roleName, CancellationToken cancellationToken = default)
    {
        var policies = new List<IamAttachedPolicy>();
        await foreach (var page in PagesAsync("ListAttachedRolePolicies", [("RoleName", roleName)], cancellationToken).ConfigureAwait(false))
        {
            policies.AddRange(Members(Child(page, "AttachedPolicies")).Select(m => new IamAttachedPolicy(Text(m, "PolicyName"), Text(m, "PolicyArn"))));
        }

        return policies;
    }

    public async Task<IReadOnlyList<string>> ListRolePoliciesAsync(string roleName, CancellationToken cancellationToken = default)
    {
        var names = new List<string>();
        await foreach (var page in PagesAsync("ListRolePolicies", [("RoleName", roleName)], cancellationToken).ConfigureAwait(false))
        {
            names.AddRange(Members(Child(page, "PolicyNames")).Select(m => m.Value));
        }

        return names;
    }

    public async Task<IamRolePolicy> GetRolePolicyAsync(string roleName, string policyName, CancellationToken cancellationToken = default)
    {
        var result = await CallAsync("GetRolePolicy", [("RoleName", roleName), ("PolicyName", policyName)], cancellationToken).ConfigureAwait(false);
        return new IamRolePolicy(Text(result, "RoleName"), Text(result, "PolicyName"), PolicyDocumentText.Decode(Text(result, "PolicyDocument")));
    }

    public async Task<IamManagedPolicy> GetPolicyAsync(string policyArn, CancellationToken cancellationToken = default)
    {
        var result = await CallAsync("GetPolicy", [("PolicyArn", policyArn)], cancellationToken).ConfigureAwait(false);
        return ReadPolicy(Child(result, "Policy"));
    }

    public async Task<IamPolicyVersion> GetPolicyVersionAsync(string policyArn, string versionId, CancellationToken cancellationToken = default)
    {
        var result = await CallAsync("GetPolicyVersion", [("PolicyArn", policyArn), ("VersionId", versionId)], cancellationToken).ConfigureAwait(false);
        return ReadPolicyVersion(Child(result, "PolicyVersion"));
    }

    public async Task<IamManagedPolicy> CreatePolicyAsync(string policyName, string policyDocument, string? description = null, string? path = null, CancellationToken cancellationToken = default)
    {
        var parameters = new List<(string, string)> { ("PolicyName", policyName), ("PolicyDocument", policyDocument) };
        if (description is not null)
        {
            parameters.Add(("Description", description));
        }

        if (path is not null)
        {
            parameters.Add(("Path", path));
        }

        var result = await CallAsync("CreatePolicy", parameters, cancellationToken).ConfigureAwait(false);
        return ReadPolicy(Child(result, "Policy"));
    }

    public async Task<IamPolicyVersion> CreatePolicyVersionAsync(string policyArn, string policyDocument, bool setAsDefault, CancellationToken cancellationToken = default)
    {
        var result = await CallAsync("CreatePolicyVersion",
            [("PolicyArn", policyArn), ("PolicyDocument", policyDocument), ("SetAsDefault", setAsDefault ? "true" : "false")], cancellationToken).ConfigureAwait(false);
        return ReadPolicyVersion(Child(result, "PolicyVersion"));
    }

    public async Task AttachRolePolicyAsync(string roleName, string policyArn, CancellationToken cancellationToken = default) =>
        await CallAsync("AttachRolePolicy", [("RoleName", roleName), ("PolicyArn", policyArn)], cancellationToken).ConfigureAwait(false);

    public async Task<IReadOnlyList<IamEvaluationResult>> SimulatePrincipalPolicyAsync(string policySourceArn, IReadOnlyCollection<string> actionNames, IReadOnlyCollection<string>? resourceArns = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(actionNames);
        var parameters = new List<(string, string)> { ("PolicySourceArn", policySourceArn) };
        parameters.AddRange(actionNames.Select((a, i) => ($"ActionNames.member.{i + 1}", a)));
        if (resourceArns is not null)
        {
            parameters.AddRange(resourceArns.Select((r, i) => ($"ResourceArns.member.{i + 1}", r)));
        }

        var results = new List<IamEvaluationResult>();
        await foreach (var page in PagesAsync("SimulatePrincipalPolicy", parameters, cancellationToken).ConfigureAwait(false))
        {
            foreach (var member in Members(Child(page, "EvaluationResults")))
            {
                results.Add(new IamEvaluationResult(
                    Text(member, "EvalActionName"),
                    OptionalText(member, "EvalResourceName") ?? "*",
                    ParseDecision(Text(member, "EvalDecision")),
                    Members(OptionalChild(member, "MatchedStatements")).Select(ReadMatchedStatement).ToList(),
                    Members(OptionalChild(member, "MissingContextValues")).Select(m => m.Value).ToList()));
            }
        }

        return results;
    }

    public async Task<IamCallerIdentity> GetCallerIdentityAsync(CancellationToken cancellationToken = default)
    {
        var response = await _sts.GetCallerIdentityAsync(new GetCallerIdentityRequest(), cancellationToken).ConfigureAwait(false);
        return new IamCallerIdentity(response.Account, response.Arn, response.UserId);
    }

    public void Dispose()
    {
        _http.Dispose();
        _sts.Dispose();
    }

    /// <summary>IAM's wire words for a decision.</summary>
    public static PermissionDecision ParseDecision(string wire) => wire switch
    {
        "allowed" => PermissionDecision.Allowed,
        "explicitDeny" => PermissionDecision.ExplicitDeny,
        "implicitDeny" => PermissionDecision.ImplicitDeny,
        _ => throw new FormatException($"Unknown IAM evaluation decision '{wire}'."),
    };

    private async IAsyncEnumerable<XElement> PagesAsync(string action, IReadOnlyList<(string, string)> parameters, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string? marker = null;
        do
        {
            var pageParameters = new List<(string, string)>(parameters);
            if (_pageSize is { } size)
            {
                pageParameters.Add(("MaxItems", size.ToString(CultureInfo.InvariantCulture)));
            }

            if (marker is not null)
            {
                pageParameters.Add(("Marker", marker));
            }

            var result = await CallAsync(action, pageParameters, cancellationToken).ConfigureAwait(false);
            yield return result;
            marker = string.Equals(OptionalText(result, "IsTruncated"), "true", StringComparison.OrdinalIgnoreCase) ? OptionalText(result, "Marker") : null;
        }
        while (marker is not null);
    }

    /// <summary>Sends one Query request and returns its &lt;ActionResult&gt; element (empty for actions without one).</summary>
    private async Task<XElement> CallAsync(string action, IReadOnlyList<(string Name, string Value)> parameters, CancellationToken cancellationToken)
    {
        var form = new List<KeyValuePair<string, string>> { new("Action", action), new("Version", IamVersion) };
        form.AddRange(parameters.Select(p => new KeyValuePair<string, string>(p.Name, p.Value)));
        using var request = new HttpRequestMessage(HttpMethod.Post, _serviceUrl) { Content = new FormUrlEncodedContent(form) };
        using var span = Telemetry.RotationTelemetry.Source.StartActivity($"IAM {action}", System.Diagnostics.ActivityKind.Client);
        span?.SetTag(Telemetry.RotationTelemetry.ServiceTag, "IAM");
        span?.SetTag(Telemetry.RotationTelemetry.OperationTag, action);
        span?.SetTag(Telemetry.RotationTelemetry.RegionTag, _signingRegion);
        using var response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        var headerRequestId = response.Headers.TryGetValues("x-amzn-RequestId", out var ids) ? ids.FirstOrDefault() : null;
        span?.SetTag(Telemetry.RotationTelemetry.RequestIdTag, headerRequestId);
        if (span is not null && !response.IsSuccessStatusCode)
        {
            span.SetStatus(System.Diagnostics.ActivityStatusCode.Error, $"HTTP {(int)response.StatusCode}");
        }

        XDocument document;
        try
        {
            document = XDocument.Parse(body);
        }
        catch (System.Xml.XmlException)
        {
            throw new IamProtocolException(action, response.StatusCode, body.Length > 200 ? body[..200] : body);
        }

        var root = document.Root!;
        if (root.Name.LocalName is "ErrorResponse" or "Response")
        {
            // IAM answers ErrorResponse/Error; the authentication layer of some endpoints (moto's, EC2-style)
            // nests it as ErrorResponse/Errors/Error or Response/Errors/Error.
            var error = root.Descendants().FirstOrDefault(e => e.Name.LocalName == "Error")
                ?? throw new IamProtocolException(action, response.StatusCode, $"<{root.Name.LocalName}> without <Error>");
            throw IamServiceException.For(
                OptionalText(error, "Code") ?? "Unknown",
                OptionalText(error, "Message") ?? string.Empty,
                root.Descendants().FirstOrDefault(e => e.Name.LocalName == "RequestId")?.Value ?? headerRequestId,
                response.StatusCode,
                OptionalText(error, "Type"));
        }

        if (!response.IsSuccessStatusCode || root.Name.LocalName != action + "Response")
        {
            throw new IamProtocolException(action, response.StatusCode, $"unexpected document <{root.Name.LocalName}>");
        }

        return OptionalChild(root, action + "Result") ?? new XElement(action + "Result");
    }

    private static IamRole ReadRole(XElement role) => new(
        Text(role, "RoleName"),
        Text(role, "RoleId"),
        Text(role, "Arn"),
        OptionalText(role, "Path") ?? "/",
        Date(role, "CreateDate"),
        OptionalText(role, "AssumeRolePolicyDocument") is { } trust ? PolicyDocumentText.Decode(trust) : null,
        OptionalText(role, "Description"));

    private static IamManagedPolicy ReadPolicy(XElement policy) => new(
        Text(policy, "PolicyName"),
        Text(policy, "PolicyId"),
        Text(policy, "Arn"),
        OptionalText(policy, "Path") ?? "/",
        OptionalText(policy, "DefaultVersionId") ?? "v1",
        int.Parse(OptionalText(policy, "AttachmentCount") ?? "0", CultureInfo.InvariantCulture),
        !string.Equals(OptionalText(policy, "IsAttachable"), "false", StringComparison.OrdinalIgnoreCase),
        OptionalText(policy, "Description"),
        Date(policy, "CreateDate"),
        OptionalText(policy, "UpdateDate") is null ? Date(policy, "CreateDate") : Date(policy, "UpdateDate"));

    private static IamPolicyVersion ReadPolicyVersion(XElement version) => new(
        Text(version, "VersionId"),
        string.Equals(OptionalText(version, "IsDefaultVersion"), "true", StringComparison.OrdinalIgnoreCase),
        Date(version, "CreateDate"),
        OptionalText(version, "Document") is { } document ? PolicyDocumentText.Decode(document) : null);

    private static IamMatchedStatement ReadMatchedStatement(XElement statement)
    {
        var start = OptionalChild(statement, "StartPosition");
        var end = OptionalChild(statement, "EndPosition");
        return new IamMatchedStatement(
            OptionalText(statement, "SourcePolicyId") ?? string.Empty,
            OptionalText(statement, "SourcePolicyType") ?? "none",
            Number(start, "Line"), Number(start, "Column"), Number(end, "Line"), Number(end, "Column"));
    }

    private static int? Number(XElement? parent, string name) =>
        parent is not null && OptionalText(parent, name) is { } text ? int.Parse(text, CultureInfo.InvariantCulture) : null;

    private static DateTimeOffset Date(XElement parent, string name) =>
        DateTimeOffset.Parse(Text(parent, name), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);

    // IAM answers in the namespace https://iam.amazonaws.com/doc/2010-05-08/; elements are matched by
    // local name so a namespace-less emulator document reads the same.
    private static XElement? OptionalChild(XElement? parent, string name) =>
        parent?.Elements().FirstOrDefault(e => e.Name.LocalName == name);

    private static XElement Child(XElement parent, string name) =>
        OptionalChild(parent, name) ?? throw new FormatException($"IAM response element <{parent.Name.LocalName}> has no <{name}>.");

    private static string? OptionalText(XElement parent, string name) => OptionalChild(parent, name)?.Value;

    private static string Text(XElement parent, string name) => Child(parent, name).Value;

    private static IEnumerable<XElement> Members(XElement? list) =>
        list?.Elements().Where(e => e.Name.LocalName == "member") ?? [];
}
