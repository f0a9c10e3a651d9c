using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using Amazon.Runtime;
using KmsConsole.Testing;
using Microsoft.Playwright;
using Npgsql;

namespace KmsConsole.EndToEnd.Tests;

/// <summary>
/// The production shape in one test: two console processes on one throwaway PostgreSQL cluster, both with one local
/// KMS endpoint as their target. Rita requests on instance A, Alice approves on instance B; Rita's page on A follows
/// the run to Succeeded through the cross-instance change feed, and the run executes exactly once whichever
/// instance's orchestrator takes it.
/// </summary>
public sealed class TwoInstanceScenarioTests
{
    [SkippableFact]
    public async Task A_run_requested_on_one_instance_and_approved_on_the_other_executes_once_and_the_requesters_page_follows_it_live()
    {
        Chromium.SkipIfMissing();
        await using var cluster = await TemporaryPostgres.StartAsync();
        var kmsData = Directory.CreateTempSubdirectory("kmsconsole-e2e-kms-").FullName;
        await using var kms = await LocalKmsProcess.StartAsync(kmsData, seed: true);
        await using var a = await ConsoleProcess.StartAsync(Instance("console-a", cluster, kms));
        await using var b = await ConsoleProcess.StartAsync(Instance("console-b", cluster, kms));
        await using var chromium = await Chromium.StartAsync();

        var rita = await chromium.NewWindowAsync();
        await rita.SignInAsync(a, "rita");
        var oldKeyId = await RotationScenarioTests.OpenKeyAsync(rita, "alias/FirstCMK");
        await RotationScenarioTests.RequestAsync(rita, "New key, alias swap", fill: _ => Task.CompletedTask);
        var runPath = new Uri(rita.Url).AbsolutePath;
        var runId = Guid.Parse(runPath.Split('/').Last());

        var alice = await chromium.NewWindowAsync();
        await alice.SignInAsync(b, "alice");
        await alice.GotoAsync(new Uri(b.BaseAddress, runPath.TrimStart('/')).ToString());
        await alice.WaitForInteractiveAsync();
        await alice.GetByLabel("Comment").FillAsync("Approved on the other instance");
        await alice.GetByRole(AriaRole.Button, new() { Name = "Approve" }).ClickAsync();
        await Assertions.Expect(alice.GetByTestId("action-message")).ToContainTextAsync("Approved.");

        await RotationScenarioTests.WaitForRunToSucceedLiveAsync(rita, "11-run-succeeded-two-instances");
        // B's page shows the same end, whichever instance executed the run.
        await Assertions.Expect(alice.GetByTestId("run-state")).ToHaveAttributeAsync("data-run-state", "Succeeded", new() { Timeout = 30_000 });

        // Exactly once: each step succeeded once in the audit trail, and KMS holds one key made by this run, behind the alias.
        await using var db = new NpgsqlConnection(cluster.ConnectionString);
        await db.OpenAsync();
        await using var steps = new NpgsqlCommand(
            """SELECT split_part("Details", ':', 1), count(*) FROM "AuditEvents" WHERE "RunId" = @run AND "Action" = 'step.succeeded' GROUP BY 1""", db);
        steps.Parameters.AddWithValue("run", runId);
        var counts = new Dictionary<string, long>();
        await using (var reader = await steps.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                counts[reader.GetString(0)] = reader.GetInt64(1);
            }
        }

        Assert.NotEmpty(counts);
        Assert.All(counts, step => Assert.True(step.Value == 1, $"Step '{step.Key}' succeeded {step.Value} times."));
        using var client = new AmazonKeyManagementServiceClient(new BasicAWSCredentials("kmsconsole", "local-endpoint"),
            new AmazonKeyManagementServiceConfig { ServiceURL = kms.Endpoint.ToString(), AuthenticationRegion = "us-east-1" });
        var madeByRun = new List<string>();
        foreach (var key in (await client.ListKeysAsync(new ListKeysRequest())).Keys)
        {
            var tags = await client.ListResourceTagsAsync(new ListResourceTagsRequest { KeyId = key.KeyId });
            if (tags.Tags?.Any(t => t.TagKey == "kmsconsole:run-id" && t.TagValue == runId.ToString()) == true)
            {
                madeByRun.Add(key.KeyId);
            }
        }

        var newKeyId = Assert.Single(madeByRun);
        Assert.NotEqual(oldKeyId, newKeyId);
        Assert.Equal(newKeyId, (await client.DescribeKeyAsync(new DescribeKeyRequest { KeyId = "alias/FirstCMK" })).KeyMetadata.KeyId);
    }

    private static string[] Instance(string instanceId, TemporaryPostgres cluster, LocalKmsProcess kms) =>
    [
        "--Console:HostLocalKms=Never",
        "--Rotation:Database:Provider=Postgres",
        $"--Rotation:Database:ConnectionString={cluster.ConnectionString}",
        $"--Rotation:Orchestrator:InstanceId={instanceId}",
        "--Rotation:Targets:0:Name=local",
        $"--Rotation:Targets:0:ServiceUrl={kms.Endpoint.ToString().TrimEnd('/')}",
        "--Rotation:Targets:0:Region=us-east-1",
        "--Rotation:Targets:0:AccessKeyId=kmsconsole",
        "--Rotation:Targets:0:SecretAccessKey=local-endpoint",
    ];
}
