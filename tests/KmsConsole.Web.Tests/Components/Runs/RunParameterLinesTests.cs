using KmsConsole.Rotation;
using KmsConsole.Rotation.Workflows;
using KmsConsole.Web.Components.Runs;
using KmsConsole.Web.Components.Shared;

namespace KmsConsole.Web.Tests.Components.Runs;

public sealed class RunParameterLinesTests
{
    private static IReadOnlyList<RunParameterLine> Lines(WorkflowKind kind, RotationParameters p) =>
        RunParameterLines.For(WorkflowDefinitions.BuiltIn[kind], p);

    [Fact]
    public void Each_workflow_lists_only_the_parameters_its_definition_takes()
    {
        foreach (var definition in WorkflowDefinitions.BuiltIn.All)
        {
            var ids = RunParameterLines.For(definition, new RotationParameters()).Select(l => l.Id).ToHashSet();
            Assert.Equal(definition.Takes(WorkflowInputs.WrappingAlgorithm), ids.Contains("wrapping-algorithm"));
            Assert.Equal(definition.Takes(WorkflowInputs.OldKeyFate), ids.Contains("old-key-fate"));
            Assert.Equal(definition.Takes(WorkflowInputs.RotationPeriod), ids.Contains("rotation-period"));
            Assert.Equal(definition.Takes(WorkflowInputs.MaterialExpiry), ids.Contains("material-expiry"));
        }
    }

    [Fact]
    public void An_import_names_its_wrapping_algorithm_and_its_material_expiry_in_words()
    {
        var import = WorkflowDefinitions.BuiltIn.All.First(d => d.Takes(WorkflowInputs.WrappingAlgorithm | WorkflowInputs.MaterialExpiry));

        var never = RunParameterLines.For(import, new RotationParameters());
        Assert.Equal("does not expire", never.Single(l => l.Id == "material-expiry").Value);
        Assert.StartsWith(RotationParameters.OaepSha256, never.Single(l => l.Id == "wrapping-algorithm").Value);

        var expiring = RunParameterLines.For(import, new RotationParameters
        {
            ExpirationModel = RotationParameters.KeyMaterialExpires,
            ValidTo = new DateTimeOffset(2027, 6, 30, 23, 59, 59, TimeSpan.Zero),
        });
        Assert.Equal("expires on 2027-06-30 23:59 UTC (ValidTo)", expiring.Single(l => l.Id == "material-expiry").Value);
    }

    [Theory]
    [InlineData(OldKeyFate.Keep, null, "kept enabled")]
    [InlineData(OldKeyFate.ScheduleDeletion, 7, "deleted after 7 days")]
    [InlineData(OldKeyFate.ScheduleDeletion, null, "deleted after 30 days")]
    [InlineData(OldKeyFate.StagedRetirement, 14, "waiting period of 14 days")]
    [InlineData(OldKeyFate.Disable, null, "disabled (DisableKey)")]
    public void The_old_key_fate_is_said_in_words_with_its_waiting_period(OldKeyFate fate, int? window, string expected) =>
        Assert.Contains(expected, Lines(WorkflowKind.AliasSwapNewKey, new RotationParameters { OldKeyFate = fate, PendingWindowInDays = window })
            .Single(l => l.Id == "old-key-fate").Value);

    [Fact]
    public void A_rotation_period_left_to_kms_says_it_is_the_default() =>
        Assert.Equal("every 365 days (KMS's default)", Lines(WorkflowKind.EnableAutomaticRotation, new RotationParameters()).Single(l => l.Id == "rotation-period").Value);

    [Theory]
    [InlineData(0, "under a second")]
    [InlineData(42, "42 s")]
    [InlineData(125, "2 min 5 s")]
    [InlineData(3 * 3600 + 600, "3 h 10 min")]
    [InlineData(2 * 86400 + 3600, "2 d 1 h")]
    public void Durations_are_said_in_words(int seconds, string expected) => Assert.Equal(expected, Durations.Of(TimeSpan.FromSeconds(seconds)));

    [Fact]
    public void Key_ids_in_step_output_are_found_and_the_rest_kept()
    {
        var parts = StepOutput.Parts("Created key 1234abcd-12ab-34cd-56ef-1234567890ab; replica mrk-1234abcd12ab34cd56ef1234567890ab.").ToList();

        Assert.Equal(
        [
            ("Created key ", false), ("1234abcd-12ab-34cd-56ef-1234567890ab", true), ("; replica ", false),
            ("mrk-1234abcd12ab34cd56ef1234567890ab", true), (".", false),
        ], parts);
    }
}
