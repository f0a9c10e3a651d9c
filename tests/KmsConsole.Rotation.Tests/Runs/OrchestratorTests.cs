using Amazon.KeyManagementService.Model;
using KmsConsole.LocalKms.Hosting;
using KmsConsole.Rotation.Runs;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace KmsConsole.Rotation.Tests.Runs;

public sealed class OrchestratorTests
{
    [Fact]
    public async Task Only_one_instance_gets_the_lease_and_another_takes_over_once_it_expires()
    {
        var clock = new ShiftableClock();
        await using var world = await RotationWorld.StartAsync(clock);
        var run = await world.SubmitAsync("alias/FirstCMK", WorkflowKind.EnableAutomaticRotation);
        await world.Requests.ApproveAsync(RotationWorld.Bob, run.Id, null);
        var first = world.NewOrchestrator(instanceId: "console-a");
        var second = world.NewOrchestrator(instanceId: "console-b");

        Assert.True(await first.TryClaimAsync(run.Id, CancellationToken.None));
        Assert.False(await second.TryClaimAsync(run.Id, CancellationToken.None));
        Assert.Equal(0, await second.ProcessOnceAsync(CancellationToken.None));

        clock.Advance(world.Options.Orchestrator.LeaseDuration + TimeSpan.FromSeconds(1));
        Assert.True(await second.TryClaimAsync(run.Id, CancellationToken.None));
        Assert.False(await first.TryClaimAsync(run.Id, CancellationToken.None));
    }

    [Fact]
    public async Task Two_console_instances_on_one_database_never_run_the_same_run()
    {
        var directory = Directory.CreateTempSubdirectory("kmsconsole-two-instances-").FullName;
        await using var server = await LocalKmsServer.StartAsync(new LocalKmsOptions { DataDirectory = Path.Combine(directory, "localkms") });
        using var a = await StartHostAsync(directory, server, "console-a");
        using var b = await StartHostAsync(directory, server, "console-b");
        using var kms = RotationWorld.NewClient(server);
        var requests = a.Services.GetRequiredService<RotationRequests>();
        var runs = new List<Guid>();
        for (var i = 0; i < 6; i++)
        {
            var key = await kms.CreateKeyAsync(new CreateKeyRequest { Description = $"shared {i}" });
            await kms.CreateAliasAsync(new CreateAliasRequest { AliasName = $"alias/shared-{i}", TargetKeyId = key.KeyMetadata.KeyId });
            var run = await requests.SubmitAsync(RotationWorld.Alice, new RotationRequest(RotationWorld.Target, $"alias/shared-{i}", WorkflowKind.AliasSwapNewKey,
                new RotationParameters(), "shared database"));
            runs.Add(run.Id);
        }

        // Approvals arrive on either instance; both orchestrators poll the same runs.
        foreach (var (id, i) in runs.Select((id, i) => (id, i)))
        {
            await (i % 2 == 0 ? a : b).Services.GetRequiredService<RotationRequests>().ApproveAsync(RotationWorld.Bob, id, null);
        }

        var queries = b.Services.GetRequiredService<RunQueries>();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        List<Run> finished;
        do
        {
            await Task.Delay(200);
            finished = [.. (await Task.WhenAll(runs.Select(id => queries.GetAsync(id)))).Select(r => r!)];
        }
        while (finished.Any(r => !r.IsFinished) && DateTime.UtcNow < deadline);

        Assert.All(finished, r => Assert.Equal(RunState.Succeeded, r.State));
        Assert.All(finished.SelectMany(r => r.Steps), s => Assert.Equal(1, s.Attempts));
        var trail = a.Services.GetRequiredService<AuditTrail>();
        foreach (var run in finished)
        {
            var events = await trail.QueryAsync(RotationWorld.Erin, new AuditFilter { RunId = run.Id, Action = "step.succeeded" }, 0, 100);
            Assert.Equal(run.Steps.Count, events.TotalCount);
        }

        Assert.True((await trail.VerifyAsync(RotationWorld.Erin)).Intact);
        Assert.Equal(2 + 6 + 6, (await kms.ListKeysAsync(new ListKeysRequest())).Keys.Count);
        await a.StopAsync();
        await b.StopAsync();
    }

    [Fact]
    public async Task AddRotation_binds_the_rotation_section_and_refuses_a_bad_database_provider_at_start()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Rotation:Database:Provider"] = "Oracle",
            ["Rotation:Approvals:AliasSwapNewKey:RequiredApprovals"] = "2",
            ["Rotation:Approvals:AliasSwapNewKey:Lifetime"] = "08:00:00",
            ["Rotation:Targets:0:Name"] = "prod",
            ["Rotation:Targets:0:Region"] = "eu-west-1",
            ["Rotation:Targets:0:RoleArn"] = "arn:aws:iam::111122223333:role/KmsConsole",
            ["Rotation:Orchestrator:Enabled"] = "false",
        });
        builder.AddRotation();
        using var host = builder.Build();

        var options = host.Services.GetRequiredService<IOptionsMonitor<RotationOptions>>();
        var failure = Assert.Throws<OptionsValidationException>(() => options.CurrentValue);
        Assert.Contains("Sqlite or Postgres", failure.Message);

        var bound = new RotationOptions();
        builder.Configuration.GetSection("Rotation").Bind(bound);
        Assert.Equal(2, bound.PolicyFor(WorkflowKind.AliasSwapNewKey).RequiredApprovals);
        Assert.Equal(TimeSpan.FromHours(8), bound.PolicyFor(WorkflowKind.AliasSwapNewKey).Lifetime);
        Assert.Equal(1, bound.PolicyFor(WorkflowKind.EnableAutomaticRotation).RequiredApprovals);
        Assert.IsType<Amazon.Runtime.AssumeRoleAWSCredentials>(Targets.TargetCredentials.Build(bound.Targets[0]));
    }

    [Fact]
    public async Task One_instance_works_on_as_many_runs_at_once_as_its_run_concurrency_allows()
    {
        await using var world = await RotationWorld.StartAsync(configure: o => o.Orchestrator.RunConcurrency = 3);
        var runs = new List<Guid>();
        for (var i = 0; i < 3; i++)
        {
            var (_, alias) = await world.NewAwsKeyAsync($"together{i}");
            var run = await world.SubmitAsync(alias, WorkflowKind.EnableAutomaticRotation);
            await world.Requests.ApproveAsync(RotationWorld.Bob, run.Id, null);
            runs.Add(run.Id);
        }

        var steps = new StepsInFlight(expected: 3);
        await world.NewOrchestrator(steps).DrainAsync(CancellationToken.None);

        Assert.Equal(3, steps.Most);
        foreach (var id in runs)
        {
            Assert.Equal(RunState.Succeeded, (await world.Runs.GetAsync(id))!.State);
        }
    }

    /// <summary>Counts the runs inside a step at once; each step waits (5 s at most) until <paramref name="expected"/> are, which one run at a time never reaches.</summary>
    private sealed class StepsInFlight(int expected) : RunEngineHooks
    {
        private readonly TaskCompletionSource _together = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _now;
        private int _most;

        public int Most => Volatile.Read(ref _most);

        public override async Task WhileStepRunsAsync(Run run, int stepIndex, CancellationToken stepToken)
        {
            var now = Interlocked.Increment(ref _now);
            for (var most = Volatile.Read(ref _most); now > most && Interlocked.CompareExchange(ref _most, now, most) != most; most = Volatile.Read(ref _most))
            {
            }

            if (now >= expected)
            {
                _together.TrySetResult();
            }

            await Task.WhenAny(_together.Task, Task.Delay(TimeSpan.FromSeconds(5), stepToken));
            Interlocked.Decrement(ref _now);
        }
    }

    private static async Task<IHost> StartHostAsync(string directory, LocalKmsServer server, string instance)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, ContentRootPath = directory });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Rotation:Database:ConnectionString"] = $"Data Source={Path.Combine(directory, "kmsconsole.db")}",
            ["Rotation:Targets:0:Name"] = RotationWorld.Target,
            ["Rotation:Targets:0:ServiceUrl"] = server.Endpoint.ToString(),
            ["Rotation:Targets:0:AccessKeyId"] = instance,
            ["Rotation:Targets:0:SecretAccessKey"] = "local-endpoint",
            ["Rotation:Orchestrator:InstanceId"] = instance,
            ["Rotation:Orchestrator:PollInterval"] = "00:00:00.050",
        });
        builder.AddRotation();
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }
}
