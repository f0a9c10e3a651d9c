using System.Text;
using KmsConsole.Rotation.Audit;

namespace KmsConsole.Rotation.Tests.Audit;

/// <summary>An export can be checked offline, link by link, and an anchor noted earlier catches events cut from the end.</summary>
public sealed class AuditExportVerificationTests
{
    private const string Awkward = "'=SUM(A1), \"quoted\"\n-second line @ the end";

    [Fact]
    public async Task A_whole_export_verifies_offline_with_awkward_values_and_ends_at_the_databases_head()
    {
        await using var world = await RotationWorld.StartAsync();
        var run = await world.Requests.SubmitAsync(RotationWorld.Alice, new RotationRequest(RotationWorld.Target, "alias/FirstCMK",
            WorkflowKind.EnableAutomaticRotation, new RotationParameters(), Awkward));
        await world.Requests.RejectAsync(RotationWorld.Bob, run.Id, "=1+1");
        var database = await world.Audit.VerifyAsync(RotationWorld.Erin);

        var export = await ExportAsync(world, new AuditFilter());
        var offline = AuditExportVerifier.Verify(new StringReader(export), database.Head);

        Assert.True(offline.Intact, offline.Reason);
        Assert.True(offline.Complete);
        Assert.Equal(database.EventsChecked, offline.Rows);
        Assert.Equal(database.Head, offline.Head);
        var read = AuditCsv.Read(new StringReader(export)).ToList();
        Assert.Contains(read, e => e.Details.Contains(Awkward, StringComparison.Ordinal));
        Assert.Contains(read, e => e.Details.EndsWith("=1+1", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_edited_export_names_the_altered_event()
    {
        await using var world = await RotationWorld.StartAsync();
        var run = await world.SubmitAsync("alias/FirstCMK", WorkflowKind.EnableAutomaticRotation);
        await world.Requests.RejectAsync(RotationWorld.Bob, run.Id, "not this quarter");
        var export = await ExportAsync(world, new AuditFilter());

        var edited = AuditExportVerifier.Verify(new StringReader(export.Replace("not this quarter", "approved", StringComparison.Ordinal)));

        Assert.False(edited.Intact);
        Assert.Contains("altered", edited.Reason);
        var rejected = AuditCsv.Read(new StringReader(export)).Single(e => e.Details.Contains("not this quarter", StringComparison.Ordinal));
        Assert.Equal(rejected.Sequence, edited.FirstBrokenSequence);
    }

    [Fact]
    public async Task Events_cut_from_the_end_pass_the_chain_walk_but_not_an_earlier_anchor()
    {
        await using var world = await RotationWorld.StartAsync();
        await world.DriveAsync((await world.SubmitAsync("alias/FirstCMK", WorkflowKind.EnableAutomaticRotation)).Id);
        var anchor = (await world.Audit.VerifyAsync(RotationWorld.Erin)).Head!;

        await world.ExecuteSqlAsync($"DROP TRIGGER AuditEvents_append_only_delete; DELETE FROM AuditEvents WHERE Sequence >= {anchor.Sequence - 1}");

        Assert.True((await world.Audit.VerifyAsync(RotationWorld.Erin)).Intact);
        var checkedAgainstAnchor = await world.Audit.VerifyAsync(RotationWorld.Erin, anchor: anchor);
        Assert.False(checkedAgainstAnchor.Intact);
        Assert.Contains("cut from its end", checkedAgainstAnchor.Reason);
        var offline = AuditExportVerifier.Verify(new StringReader(await ExportAsync(world, new AuditFilter())), anchor);
        Assert.False(offline.Intact);
        Assert.Contains("cut from the end", offline.Reason);
    }

    [Fact]
    public async Task A_filtered_export_checks_each_row_and_says_it_is_not_complete()
    {
        await using var world = await RotationWorld.StartAsync();
        var run = await world.SubmitAsync("alias/FirstCMK", WorkflowKind.EnableAutomaticRotation);
        await world.SubmitAsync("alias/ImportedCMK", WorkflowKind.NewMaterialInPlace);
        await world.Requests.RejectAsync(RotationWorld.Bob, run.Id, "later");

        var filtered = AuditExportVerifier.Verify(new StringReader(await ExportAsync(world, new AuditFilter { RunId = run.Id })));

        Assert.True(filtered.Intact, filtered.Reason);
        Assert.False(filtered.Complete);
        Assert.Equal(2, filtered.Rows);
    }

    [Theory]
    [InlineData("12")]
    [InlineData("x:abc")]
    [InlineData("0:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")]
    public void A_malformed_anchor_is_refused_with_the_expected_shape(string text) =>
        Assert.Contains("<sequence>:<64 hex digits", Assert.Throws<FormatException>(() => AuditAnchor.Parse(text)).Message);

    private static async Task<string> ExportAsync(RotationWorld world, AuditFilter filter)
    {
        using var output = new MemoryStream();
        await world.Audit.ExportCsvAsync(RotationWorld.Erin, output, filter);
        return Encoding.UTF8.GetString(output.ToArray());
    }
}
