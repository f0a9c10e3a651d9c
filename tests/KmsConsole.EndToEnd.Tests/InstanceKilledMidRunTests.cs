using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using Amazon.Runtime;
using KmsConsole.Testing;
using KmsConsole.Web.Tokens;
using Npgsql;

namespace KmsConsole.EndToEnd.Tests;

/// <summary>
/// A crash in the production shape: two console processes on one throwaway PostgreSQL cluster and one local KMS. The
/// instance executing a run is killed (SIGKILL, no graceful stop, so its lease stays in the database) while a step is in
/// flight; the other instance claims the run once the lease runs out and finishes it. Every KMS call of the local KMS is
/// slowed, so the run is still mid-way when the kill lands.
/// </summary>
public sealed class InstanceKilledMidRunTests
{
    private static readonly TimeSpan LeaseDuration = TimeSpan.FromSeconds(12);

    [SkippableFact]
    public async Task A_run_whose_instance_is_killed_mid_step_is_taken_over_after_its_lease_runs_out_and_finished_once()
    {
        await using var cluster = await TemporaryPostgres.StartAsync();
        var kmsData = Directory.CreateTempSubdirectory("kmsconsole-e2e-kms-").FullName;
        await using var kms = await LocalKmsProcess.StartAsync(kmsData, seed: true,
            arguments: ["--LocalKms:Faults:DelayShare=1", "--LocalKms:Faults:Delay=00:00:00.400"]);
        using var client = new AmazonKeyManagementServiceClient(new BasicAWSCredentials("kmsconsole", "local-endpoint"),
            new AmazonKeyManagementServiceConfig { ServiceURL = kms.Endpoint.ToString(), AuthenticationRegion = "us-east-1" });
        var keysBefore = await AllKeysAsync(client);
        var oldKeyId = (await client.DescribeKeyAsync(new DescribeKeyRequest { KeyId = "alias/FirstCMK" })).KeyMetadata.KeyId;

        var consoles = new Dictionary<string, ConsoleProcess>();
        try
        {
            consoles["console-a"] = await ConsoleProcess.StartAsync(Instance("console-a", cluster, kms));
            consoles["console-b"] = await ConsoleProcess.StartAsync(Instance("console-b", cluster, kms));
            using var rita = Api(consoles["console-a"], await TokenAsync("rita", cluster, kms));
            using var alice = Api(consoles["console-b"], await TokenAsync("alice", cluster, kms));

            var requested = await rita.PostAsJsonAsync("api/v1/runs", new
            {
                target = "local", keyId = "alias/FirstCMK", workflow = "AliasSwapNewKey", justification = "Crash drill: yearly rotation of FirstCMK",
            });
            Assert.True(requested.IsSuccessStatusCode, await requested.Content.ReadAsStringAsync());
            var runId = (await requested.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
            var approved = await alice.PostAsJsonAsync($"api/v1/runs/{runId}/approve", new { comment = "Approved for the drill" });
            Assert.True(approved.IsSuccessStatusCode, await approved.Content.ReadAsStringAsync());

            await using var db = new NpgsqlConnection(cluster.ConnectionString);
            await db.OpenAsync();
            var victim = await WaitForStepInFlightAfterCreateKeyAsync(db, runId, consoles);
            using (var process = Process.GetProcessById(consoles[victim].ProcessId))
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }

            var killedAt = DateTime.UtcNow;
            // The dead instance's lease as it left it (read before it runs out, so no one has claimed the run yet); times
            // are stored as UTC ticks.
            var leaseUntil = await ScalarAsync<long>(db, """SELECT "LeaseUntil" FROM "Runs" WHERE "Id" = @run AND "LeaseOwner" = @owner""",
                ("run", runId), ("owner", victim));

            var survivor = consoles.Keys.Single(k => k != victim);
            using var survivorsView = Api(consoles[survivor], await TokenAsync("audrey", cluster, kms));
            var final = await WaitForEndAsync(survivorsView, runId, consoles[survivor]);
            Assert.True(final.GetProperty("state").GetString() == "Succeeded", $"The run ended {final}.\n{consoles[survivor].Output}");

            // The survivor took the run over, and only once the dead instance's lease had run out.
            var resumedAt = await ScalarAsync<long>(db,
                """SELECT min("Time") FROM "AuditEvents" WHERE "RunId" = @run AND "Action" = 'step.succeeded' AND "Time" > @killed""",
                ("run", runId), ("killed", killedAt.Ticks));
            Assert.True(resumedAt >= leaseUntil,
                $"A step succeeded at {new DateTime(resumedAt, DateTimeKind.Utc):O}, before the killed instance's lease ran out at {new DateTime(leaseUntil, DateTimeKind.Utc):O}.");

            // Nothing lost, nothing twice: every step of the run (its gate included) succeeded exactly once in the audit trail,
            // the one cut off by the kill too.
            var succeeded = await StepSuccessesAsync(db, runId);
            var steps = final.GetProperty("steps").EnumerateArray().ToList();
            Assert.All(steps, s => Assert.Equal("Succeeded", s.GetProperty("state").GetString()));
            Assert.Equal(steps.Select(s => s.GetProperty("name").GetString()!).Order(), succeeded.Keys.Order());
            Assert.All(succeeded, step => Assert.True(step.Value == 1, $"Step '{step.Key}' succeeded {step.Value} times."));

            // In KMS: CreateKey succeeded once (one key more in the account, the run's, tagged with its id) and the alias
            // resolves to it.
            var keysAfter = await AllKeysAsync(client);
            var newKeyId = Assert.Single(keysAfter.Except(keysBefore));
            Assert.NotEqual(oldKeyId, newKeyId);
            var tags = await client.ListResourceTagsAsync(new ListResourceTagsRequest { KeyId = newKeyId });
            Assert.Contains(tags.Tags, t => t.TagKey == "kmsconsole:run-id" && t.TagValue == runId.ToString());
            Assert.Equal(newKeyId, (await client.DescribeKeyAsync(new DescribeKeyRequest { KeyId = "alias/FirstCMK" })).KeyMetadata.KeyId);

            // The chain the two instances wrote verifies.
            var verified = await survivorsView.PostAsJsonAsync("api/v1/audit/verify", new { });
            var verification = await verified.Content.ReadFromJsonAsync<JsonElement>();
            Assert.True(verification.GetProperty("intact").GetBoolean(), verification.ToString());
        }
        finally
        {
            foreach (var console in consoles.Values)
            {
                await console.DisposeAsync();
            }
        }
    }

    /// <summary>
    /// Waits until the run has created its key (recorded) and an action step after it is running under a lease; answers
    /// the instance that holds it.
    /// </summary>
    private static async Task<string> WaitForStepInFlightAfterCreateKeyAsync(NpgsqlConnection db, Guid runId,
        Dictionary<string, ConsoleProcess> consoles)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromMinutes(2))
        {
            await using var query = new NpgsqlCommand(
                """
                SELECT r."LeaseOwner"
                FROM "Runs" r
                WHERE r."Id" = @run AND r."NewKeyId" IS NOT NULL AND r."LeaseOwner" IS NOT NULL
                  AND EXISTS (SELECT 1 FROM "RunSteps" s WHERE s."RunId" = r."Id" AND s."State" = 'Running' AND s."Kind" = 'Action')
                """, db);
            query.Parameters.AddWithValue("run", runId);
            await using (var reader = await query.ExecuteReaderAsync())
            {
                if (await reader.ReadAsync())
                {
                    return reader.GetString(0);
                }
            }

            var state = await ScalarAsync<string>(db, """SELECT "State" FROM "Runs" WHERE "Id" = @run""", ("run", runId));
            Assert.True(state is "Queued" or "Running", $"The run ended {state} before a step after CreateKey was seen in flight.\n" +
                string.Join("\n", consoles.Select(c => $"{c.Key}:\n{c.Value.Output}")));
            await Task.Delay(50);
        }

        throw new TimeoutException("The run never reached a step after CreateKey.");
    }

    private static async Task<JsonElement> WaitForEndAsync(HttpClient api, Guid runId, ConsoleProcess console)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromMinutes(3))
        {
            var run = await api.GetFromJsonAsync<JsonElement>($"api/v1/runs/{runId}");
            if (run.GetProperty("state").GetString() is not ("Queued" or "Running"))
            {
                return run;
            }

            await Task.Delay(250);
        }

        throw new TimeoutException($"The surviving instance did not finish run {runId}.\n{console.Output}");
    }

    private static async Task<Dictionary<string, long>> StepSuccessesAsync(NpgsqlConnection db, Guid runId)
    {
        await using var steps = new NpgsqlCommand(
            """SELECT split_part("Details", ':', 1), count(*) FROM "AuditEvents" WHERE "RunId" = @run AND "Action" = 'step.succeeded' GROUP BY 1""", db);
        steps.Parameters.AddWithValue("run", runId);
        var counts = new Dictionary<string, long>();
        await using var reader = await steps.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            counts[reader.GetString(0)] = reader.GetInt64(1);
        }

        return counts;
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlConnection db, string sql, params (string Name, object Value)[] parameters)
    {
        await using var command = new NpgsqlCommand(sql, db);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return await command.ExecuteScalarAsync() is T answer ? answer : throw new InvalidOperationException($"No {typeof(T).Name} answers: {sql}");
    }

    private static async Task<HashSet<string>> AllKeysAsync(AmazonKeyManagementServiceClient client)
    {
        var keys = new HashSet<string>();
        string? marker = null;
        do
        {
            var page = await client.ListKeysAsync(new ListKeysRequest { Marker = marker });
            keys.UnionWith(page.Keys.Select(k => k.KeyId));
            marker = page.Truncated == true ? page.NextMarker : null;
        }
        while (marker is not null);

        return keys;
    }

    /// <summary>A personal access token for a demo user, made as an operator makes one (the tokens command on the shared database).</summary>
    private static async Task<string> TokenAsync(string user, TemporaryPostgres cluster, LocalKmsProcess kms)
    {
        var output = new StringWriter();
        var exit = await TokensCommand.RunAsync(["tokens", "create", "--user", user, "--name", "crash drill", "--expires", "1",
            .. Instance("operator", cluster, kms), "--Rotation:Orchestrator:Enabled=false"], output);
        Assert.True(exit == 0, output.ToString());
        return output.ToString().Trim();
    }

    private static HttpClient Api(ConsoleProcess console, string token)
    {
        var http = new HttpClient { BaseAddress = console.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return http;
    }

    private static string[] Instance(string instanceId, TemporaryPostgres cluster, LocalKmsProcess kms) =>
    [
        "--Console:HostLocalKms=Never",
        "--Rotation:Database:Provider=Postgres",
        $"--Rotation:Database:ConnectionString={cluster.ConnectionString}",
        $"--Rotation:Orchestrator:InstanceId={instanceId}",
        $"--Rotation:Orchestrator:LeaseDuration={LeaseDuration}",
        "--Rotation:Targets:0:Name=local",
        $"--Rotation:Targets:0:ServiceUrl={kms.Endpoint.ToString().TrimEnd('/')}",
        "--Rotation:Targets:0:Region=us-east-1",
        "--Rotation:Targets:0:AccessKeyId=kmsconsole",
        "--Rotation:Targets:0:SecretAccessKey=local-endpoint",
    ];
}
