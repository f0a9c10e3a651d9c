using System.Text;

namespace KmsConsole.Rotation.Tests.Audit;

public sealed class AuditChainTests
{
    [Fact]
    public async Task The_chain_of_a_real_run_verifies_and_names_the_row_altered_with_raw_sql()
    {
        await using var world = await RotationWorld.StartAsync();
        var run = await world.DriveAsync((await world.SubmitAsync("alias/FirstCMK", WorkflowKind.AliasSwapNewKey)).Id);
        Assert.Equal(RunState.Succeeded, run.State);

        var history = await world.Audit.QueryAsync(RotationWorld.Erin, new AuditFilter { RunId = run.Id }, 0, 100);
        Assert.Contains(history.Items, e => e.Action == "run.requested" && e.Actor == "alice");
        Assert.Contains(history.Items, e => e.Action == "run.approved" && e.Actor == "bob");
        Assert.Contains(history.Items, e => e.Action == "step.succeeded" && e.Details.StartsWith("Point the alias at the new key", StringComparison.Ordinal) && e.AwsRequestId is { Length: > 0 });
        Assert.Contains(history.Items, e => e.Action == "run.succeeded");
        var intact = await world.Audit.VerifyAsync(RotationWorld.Erin);
        Assert.True(intact.Intact);
        Assert.True(intact.EventsChecked >= history.TotalCount);

        var target = history.Items.Single(e => e.Action == "run.approved");
        // The database refuses the change; someone with the file can still drop the trigger first.
        var refused = await Assert.ThrowsAsync<Microsoft.Data.Sqlite.SqliteException>(() =>
            world.ExecuteSqlAsync($"UPDATE AuditEvents SET Actor = 'mallory' WHERE Sequence = {target.Sequence}"));
        Assert.Contains("append-only", refused.Message);
        await world.ExecuteSqlAsync($"DROP TRIGGER AuditEvents_append_only_update; UPDATE AuditEvents SET Actor = 'mallory' WHERE Sequence = {target.Sequence}");
        var broken = await world.Audit.VerifyAsync(RotationWorld.Erin);

        Assert.False(broken.Intact);
        Assert.Equal(target.Sequence, broken.FirstBrokenSequence);
        Assert.Equal(target.Sequence - 1, broken.EventsChecked);
        Assert.Contains("altered", broken.Reason);
    }

    [Fact]
    public async Task A_deleted_row_is_reported_as_the_first_broken_link()
    {
        await using var world = await RotationWorld.StartAsync();
        await world.DriveAsync((await world.SubmitAsync("alias/FirstCMK", WorkflowKind.EnableAutomaticRotation)).Id);

        await Assert.ThrowsAsync<Microsoft.Data.Sqlite.SqliteException>(() => world.ExecuteSqlAsync("DELETE FROM AuditEvents WHERE Sequence = 3"));
        await world.ExecuteSqlAsync("DROP TRIGGER AuditEvents_append_only_delete; DELETE FROM AuditEvents WHERE Sequence = 3");
        var broken = await world.Audit.VerifyAsync(RotationWorld.Erin);

        Assert.False(broken.Intact);
        Assert.Equal(3, broken.FirstBrokenSequence);
        Assert.Contains("missing", broken.Reason);
    }

    [Fact]
    public async Task A_rewritten_row_with_a_recomputed_hash_breaks_the_next_link()
    {
        await using var world = await RotationWorld.StartAsync();
        await world.DriveAsync((await world.SubmitAsync("alias/FirstCMK", WorkflowKind.EnableAutomaticRotation)).Id);
        var events = (await world.Audit.QueryAsync(RotationWorld.Erin, new AuditFilter(), 0, 100)).Items.OrderBy(e => e.Sequence).ToList();
        var victim = events[1];
        victim.Details = "nothing happened";
        var forged = KmsConsole.Rotation.Audit.AuditChain.HashOf(victim);

        await world.ExecuteSqlAsync($"DROP TRIGGER AuditEvents_append_only_update; UPDATE AuditEvents SET Details = 'nothing happened', Hash = '{forged}' WHERE Sequence = {victim.Sequence}");
        var broken = await world.Audit.VerifyAsync(RotationWorld.Erin);

        Assert.Equal(victim.Sequence + 1, broken.FirstBrokenSequence);
        Assert.Contains("does not link", broken.Reason);
    }

    [Fact]
    public async Task The_csv_export_streams_the_filtered_events_with_quoting_and_is_itself_audited()
    {
        await using var world = await RotationWorld.StartAsync();
        var run = await world.Requests.SubmitAsync(RotationWorld.Alice, new RotationRequest(RotationWorld.Target, "alias/FirstCMK",
            WorkflowKind.EnableAutomaticRotation, new RotationParameters(), "=HYPERLINK(\"x\"), with \"quotes\""));
        await world.Requests.RejectAsync(RotationWorld.Bob, run.Id, "no, not now");

        using var output = new MemoryStream();
        await world.Audit.ExportCsvAsync(RotationWorld.Erin, output, new AuditFilter { RunId = run.Id });
        var lines = Encoding.UTF8.GetString(output.ToArray()).TrimEnd().Split('\n');

        Assert.Equal("Sequence,Time,Actor,Action,Subject,Details,AwsRequestId,RunId,PreviousHash,Hash", lines[0]);
        Assert.Equal(3, lines.Length);
        Assert.Contains("run.requested", lines[1]);
        Assert.Contains("\"EnableAutomaticRotation requested: =HYPERLINK(\"\"x\"\"), with \"\"quotes\"\" (permissions not checked: ", lines[1]);
        Assert.Contains("\"Approval: no, not now\"", lines[2]);
        await Assert.ThrowsAsync<RotationAuthorizationException>(() => world.Audit.ExportCsvAsync(RotationWorld.Alice, new MemoryStream(), new AuditFilter()));
        Assert.Single((await world.Audit.QueryAsync(RotationWorld.Erin, new AuditFilter { Action = "audit.exported" }, 0, 10)).Items);
        Assert.True((await world.Audit.VerifyAsync(RotationWorld.Erin)).Intact);
    }
}
