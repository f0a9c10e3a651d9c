using KmsConsole.Rotation;
using KmsConsole.Web.Audit;

namespace KmsConsole.Web.Tests.Audit;

/// <summary>The offline check an auditor runs on an export file: exit 0 when intact, 1 with the reason when not, 2 on bad input.</summary>
public sealed class AuditExportCommandTests : IAsyncLifetime
{
    private static readonly Actor Audrey = new("audrey", "Audrey Auditor", new HashSet<string> { Roles.Viewer, Roles.Auditor });
    private ConsoleWorld _world = null!;
    private string _file = null!;

    public async Task InitializeAsync()
    {
        _world = await ConsoleWorld.StartAsync(orchestrator: false);
        _file = Path.Combine(Directory.CreateTempSubdirectory("kmsconsole-audit-export-").FullName, "audit.csv");
        var requests = _world.Get<RotationRequests>();
        var rita = new Actor("rita", "Rita Requester", new HashSet<string> { Roles.Viewer, Roles.Requester });
        await requests.SubmitAsync(rita, new RotationRequest(ConsoleWorld.Target, "alias/FirstCMK", WorkflowKind.EnableAutomaticRotation,
            new RotationParameters(), "yearly rotation"));
        await using var output = File.Create(_file);
        await _world.Get<AuditTrail>().ExportCsvAsync(Audrey, output, new AuditFilter());
    }

    public async Task DisposeAsync() => await _world.DisposeAsync();

    [Fact]
    public async Task An_intact_export_exits_0_and_prints_its_head_which_the_database_and_the_file_confirm_as_an_anchor()
    {
        var printed = new StringWriter();

        Assert.Equal(0, AuditExportCommand.Run([AuditExportCommand.Name, _file], printed));
        Assert.Contains("without a gap from the chain's first event", printed.ToString());
        var head = printed.ToString().Split('\n').Single(l => l.StartsWith("Head: ", StringComparison.Ordinal))["Head: ".Length..].Split(' ')[0];
        Assert.True((await _world.Get<AuditTrail>().VerifyAsync(Audrey, anchor: Rotation.Audit.AuditAnchor.Parse(head))).Intact);
        Assert.Equal(0, AuditExportCommand.Run([AuditExportCommand.Name, _file, "--anchor", head], new StringWriter()));
    }

    [Fact]
    public async Task An_edited_export_exits_1_naming_the_event()
    {
        await File.WriteAllTextAsync(_file, (await File.ReadAllTextAsync(_file)).Replace("yearly rotation", "nothing to see", StringComparison.Ordinal));
        var printed = new StringWriter();

        Assert.Equal(1, AuditExportCommand.Run([AuditExportCommand.Name, _file], printed));
        Assert.Contains("NOT INTACT", printed.ToString());
        Assert.Contains("altered", printed.ToString());
    }

    [Theory]
    [InlineData("--anchor", "not-an-anchor")]
    [InlineData("--since", "1:00")]
    public void Bad_arguments_exit_2_with_the_usage_or_the_expected_shape(string flag, string value)
    {
        var printed = new StringWriter();

        Assert.Equal(2, AuditExportCommand.Run([AuditExportCommand.Name, _file, flag, value], printed));
        Assert.Matches("Usage|<sequence>:<64 hex digits", printed.ToString());
    }

    [Fact]
    public void A_file_that_is_not_an_export_exits_2()
    {
        File.WriteAllText(_file, "name,value\nx,1\n");
        var printed = new StringWriter();

        Assert.Equal(2, AuditExportCommand.Run([AuditExportCommand.Name, _file], printed));
        Assert.Contains("header", printed.ToString());
    }
}
