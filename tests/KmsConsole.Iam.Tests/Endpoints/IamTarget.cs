using System.Net;
using System.Xml.Linq;
using Amazon;
using Amazon.Runtime;
using Amazon.Runtime.Signing;
using KmsConsole.Rotation.Iam;

namespace KmsConsole.Iam.Tests.Endpoints;

/// <summary>One IAM endpoint the tests talk to over HTTP: the local IAM endpoint or moto_server.</summary>
public sealed class IamTarget : IDisposable
{
    public const string Local = "local";
    public const string Moto = "moto";

    private readonly HttpClient _raw;

    public IamTarget(string name, Uri endpoint, string accountId, string accessKeyId = "AKIDIAMTESTS", int? pageSize = null)
    {
        Name = name;
        Endpoint = endpoint;
        AccountId = accountId;
        var credentials = new BasicAWSCredentials(accessKeyId, "local-secret");
        Client = new IamQueryClient(credentials, new IamClientOptions { ServiceUrl = endpoint, StsServiceUrl = endpoint, PageSize = pageSize });
        _raw = new HttpClient(new SigV4SigningHandler(credentials, RegionEndpoint.USEast1, "iam", new SocketsHttpHandler { AllowAutoRedirect = false }));
    }

    public string Name { get; }

    public Uri Endpoint { get; }

    public string AccountId { get; }

    public bool IsMoto => Name == Moto;

    public IamQueryClient Client { get; }

    public IamQueryClient ClientFor(string accessKeyId, int? pageSize = null) =>
        new(new BasicAWSCredentials(accessKeyId, "local-secret"), new IamClientOptions { ServiceUrl = Endpoint, StsServiceUrl = Endpoint, PageSize = pageSize });

    public static string Unique(string stem) => $"{stem}-{Guid.NewGuid():N}"[..Math.Min(stem.Length + 13, 64)];

    /// <summary>CreateRole, which the product's client does not need (roles come from the account), sent as a raw signed Query call.</summary>
    public async Task<string> CreateRoleAsync(string roleName)
    {
        const string trust = """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}""";
        var response = await RawAsync("CreateRole", ("RoleName", roleName), ("AssumeRolePolicyDocument", trust));
        return response.Descendants().First(e => e.Name.LocalName == "Arn").Value;
    }

    /// <summary>PutRolePolicy (an inline policy), likewise outside the product's client.</summary>
    public Task PutRolePolicyAsync(string roleName, string policyName, string document) =>
        RawAsync("PutRolePolicy", ("RoleName", roleName), ("PolicyName", policyName), ("PolicyDocument", document));

    public async Task<XElement> RawAsync(string action, params (string Name, string Value)[] parameters)
    {
        var (status, body) = await SendRawAsync(action, parameters);
        Assert.True(status == HttpStatusCode.OK, $"{Name} {action}: HTTP {(int)status} {body}");
        return XDocument.Parse(body).Root!;
    }

    public async Task<(HttpStatusCode Status, string Body)> SendRawAsync(string action, params (string Name, string Value)[] parameters)
    {
        var form = new List<KeyValuePair<string, string>> { new("Action", action), new("Version", "2010-05-08") };
        form.AddRange(parameters.Select(p => new KeyValuePair<string, string>(p.Name, p.Value)));
        using var response = await _raw.PostAsync(Endpoint, new FormUrlEncodedContent(form));
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    public void Dispose()
    {
        Client.Dispose();
        _raw.Dispose();
    }
}
