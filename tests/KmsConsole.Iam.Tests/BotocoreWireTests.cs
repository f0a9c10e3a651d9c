using System.Diagnostics;
using System.Text.Json;
using KmsConsole.Iam.Tests.Endpoints;

namespace KmsConsole.Iam.Tests;

/// <summary>
/// The local IAM endpoint read by AWS's own parser: boto3/botocore (the AWS CLI's engine) drives every operation
/// and must parse each answer into the service model's shapes — typed booleans, timestamps, member lists,
/// URL-encoded policy documents decoded by botocore's IAM handler, and error codes with request ids.
/// </summary>
[Collection(IamEndpointsCollection.Name)]
public sealed class BotocoreWireTests(IamEndpointsFixture endpoints)
{
    private const string Script = """
        import json, sys, boto3
        from botocore.exceptions import ClientError
        url, suffix = sys.argv[1], sys.argv[2]
        kw = dict(endpoint_url=url, region_name="us-east-1", aws_access_key_id="BotoAdmin", aws_secret_access_key="local-secret")
        iam = boto3.client("iam", **kw)
        sts = boto3.client("sts", **kw)
        role = "boto-" + suffix
        trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
        doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:UpdateAlias", "Resource": "arn:aws:kms:us-east-1:111122223333:alias/*"}]}
        deny = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "kms:DisableKey", "Resource": "*"}]}
        out = {}
        out["create_role"] = iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
        out["trust_is_dict"] = isinstance(iam.get_role(RoleName=role)["Role"]["AssumeRolePolicyDocument"], dict)
        p = iam.create_policy(PolicyName="Boto-" + suffix, PolicyDocument=json.dumps(doc))["Policy"]
        out["policy_attachable"] = p["IsAttachable"]
        out["policy_created_is_datetime"] = type(p["CreateDate"]).__name__
        out["version2"] = iam.create_policy_version(PolicyArn=p["Arn"], PolicyDocument=json.dumps(doc), SetAsDefault=True)["PolicyVersion"]["VersionId"]
        out["default"] = iam.get_policy(PolicyArn=p["Arn"])["Policy"]["DefaultVersionId"]
        out["document"] = iam.get_policy_version(PolicyArn=p["Arn"], VersionId="v2")["PolicyVersion"]["Document"]
        iam.attach_role_policy(RoleName=role, PolicyArn=p["Arn"])
        out["attached"] = [a["PolicyName"] for a in iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]]
        iam.put_role_policy(RoleName=role, PolicyName="NoDisable", PolicyDocument=json.dumps(deny))
        out["inline"] = iam.list_role_policies(RoleName=role)["PolicyNames"]
        out["inline_document"] = iam.get_role_policy(RoleName=role, PolicyName="NoDisable")["PolicyDocument"]
        sim = iam.simulate_principal_policy(PolicySourceArn=out["create_role"], ActionNames=["kms:UpdateAlias", "kms:DisableKey", "kms:EnableKey"], ResourceArns=["arn:aws:kms:us-east-1:111122223333:alias/FirstCMK"])
        out["simulation"] = {r["EvalActionName"]: [r["EvalDecision"], [m["SourcePolicyId"] for m in r["MatchedStatements"]], r["MatchedStatements"][0]["StartPosition"]["Line"] if r["MatchedStatements"] else None] for r in sim["EvaluationResults"]}
        out["simulation_truncated"] = sim["IsTruncated"]
        try:
            iam.get_role(RoleName="absent-" + suffix)
        except ClientError as e:
            out["error"] = [e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"], bool(e.response["ResponseMetadata"].get("RequestId"))]
        out["caller"] = sts.get_caller_identity()["Account"]
        print(json.dumps(out))
        """;

    [SkippableFact]
    public async Task Botocore_parses_every_answer_of_the_local_IAM_endpoint()
    {
        var python = new[] { "/root/.pyenv/shims/python3", "/usr/bin/python3" }.FirstOrDefault(File.Exists);
        Skip.If(python is null, "python3 is not installed");
        var (exit, output, error) = await RunAsync(python!, "-c", "import boto3");
        Skip.If(exit != 0, $"boto3 is not installed for {python}: {error.Trim()}");
        var suffix = Guid.NewGuid().ToString("N")[..10];

        (exit, output, error) = await RunAsync(python!, "-c", Script, endpoints.LocalTarget.Endpoint.ToString(), suffix);

        Assert.True(exit == 0, error);
        using var json = JsonDocument.Parse(output);
        var r = json.RootElement;
        Assert.Equal($"arn:aws:iam::111122223333:role/boto-{suffix}", r.GetProperty("create_role").GetString());
        Assert.True(r.GetProperty("trust_is_dict").GetBoolean());
        Assert.True(r.GetProperty("policy_attachable").GetBoolean());
        Assert.Equal("datetime", r.GetProperty("policy_created_is_datetime").GetString());
        Assert.Equal("v2", r.GetProperty("version2").GetString());
        Assert.Equal("v2", r.GetProperty("default").GetString());
        Assert.Equal("kms:UpdateAlias", r.GetProperty("document").GetProperty("Statement")[0].GetProperty("Action").GetString());
        Assert.Equal([$"Boto-{suffix}"], r.GetProperty("attached").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["NoDisable"], r.GetProperty("inline").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("Deny", r.GetProperty("inline_document").GetProperty("Statement")[0].GetProperty("Effect").GetString());
        var simulation = r.GetProperty("simulation");
        Assert.Equal("allowed", simulation.GetProperty("kms:UpdateAlias")[0].GetString());
        Assert.Equal($"Boto-{suffix}", simulation.GetProperty("kms:UpdateAlias")[1][0].GetString());
        Assert.Equal(1, simulation.GetProperty("kms:UpdateAlias")[2].GetInt32());
        Assert.Equal("explicitDeny", simulation.GetProperty("kms:DisableKey")[0].GetString());
        Assert.Equal("implicitDeny", simulation.GetProperty("kms:EnableKey")[0].GetString());
        Assert.False(r.GetProperty("simulation_truncated").GetBoolean());
        Assert.Equal("NoSuchEntity", r.GetProperty("error")[0].GetString());
        Assert.Equal(404, r.GetProperty("error")[1].GetInt32());
        Assert.True(r.GetProperty("error")[2].GetBoolean());
        Assert.Equal("111122223333", r.GetProperty("caller").GetString());
    }

    private static async Task<(int ExitCode, string Output, string Error)> RunAsync(string executable, params string[] arguments)
    {
        var info = new ProcessStartInfo(executable) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment["AWS_CONFIG_FILE"] = "/dev/null";
        info.Environment["AWS_SHARED_CREDENTIALS_FILE"] = "/dev/null";
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output, await error);
    }
}
