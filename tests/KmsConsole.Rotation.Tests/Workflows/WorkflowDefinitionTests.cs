using Amazon.KeyManagementService;
using KmsConsole.Rotation.Approvals;
using KmsConsole.Rotation.Iam;
using KmsConsole.Rotation.Runs;
using KmsConsole.Rotation.Workflows;

namespace KmsConsole.Rotation.Tests.Workflows;

/// <summary>Every workflow definition declares every capability the console reads from it; nothing else describes a workflow.</summary>
public sealed class WorkflowDefinitionTests
{
    private static readonly KmsRunResources Resources = new("us-east-1", "111122223333", "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        "alias/app", "arn:aws:kms:us-east-1:111122223333:key/0000aaaa-12ab-34cd-56ef-1234567890ab");

    public static TheoryData<WorkflowKind> Kinds
    {
        get
        {
            var data = new TheoryData<WorkflowKind>();
            foreach (var definition in WorkflowDefinitions.BuiltIn.All)
            {
                data.Add(definition.Kind);
            }

            return data;
        }
    }

    [Fact]
    public void Every_workflow_kind_has_exactly_one_definition()
    {
        Assert.Equal(Enum.GetValues<WorkflowKind>().Order(), WorkflowDefinitions.BuiltIn.All.Select(d => d.Kind).Order());
        Assert.Equal(WorkflowDefinitions.BuiltIn.All.Count, WorkflowDefinitions.BuiltIn.All.Select(d => d.Label).Distinct().Count());
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void A_definition_declares_its_label_description_steps_gates_and_permissions(WorkflowKind kind)
    {
        var definition = WorkflowDefinitions.BuiltIn[kind];
        Assert.False(string.IsNullOrWhiteSpace(definition.Label));
        Assert.EndsWith(".", definition.Description, StringComparison.Ordinal);

        foreach (var parameters in ParameterChoices(definition))
        {
            var steps = StepsOf(definition, parameters);
            Assert.Equal(StepKind.Gate, steps[0].Kind);
            Assert.Equal(steps.Count, steps.Select(s => s.Key).Distinct().Count());
            Assert.All(steps, s => Assert.False(string.IsNullOrWhiteSpace(s.Name)));
            Assert.All(steps, s => Assert.False(string.IsNullOrWhiteSpace(s.Description)));

            // A destructive step waits behind a gate of its own, right before it.
            var fate = steps.FindIndex(s => s.Key == StepKey.OldKeyFate);
            if (fate >= 0)
            {
                Assert.Equal(StepKind.Gate, steps[fate - 1].Kind);
            }
        }

        var permissions = KmsPermissionRequirements.For(definition, Resources, rotateNow: true);
        Assert.Contains(permissions, p => p.Action == "kms:DescribeKey");
        Assert.All(permissions, p => Assert.StartsWith("kms:", p.Action, StringComparison.Ordinal));
        Assert.All(permissions, p => Assert.False(string.IsNullOrWhiteSpace(p.Reason)));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void A_definition_offers_old_key_fates_exactly_when_it_takes_one(WorkflowKind kind)
    {
        var definition = WorkflowDefinitions.BuiltIn[kind];
        Assert.Equal(definition.Takes(WorkflowInputs.OldKeyFate), definition.OldKeyFates.Count > 0);
        if (definition.OldKeyFates.Count > 0)
        {
            Assert.Equal(OldKeyFate.Keep, definition.OldKeyFates[0]);
            Assert.True(definition.MovesAlias);
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void A_definition_that_can_be_rolled_back_names_the_step_that_moves_its_alias(WorkflowKind kind)
    {
        var definition = WorkflowDefinitions.BuiltIn[kind];
        Assert.Equal(definition.CanBeRolledBack, definition.AliasMoveStepKey is not null);
        if (definition.AliasMoveStepKey is { } key)
        {
            Assert.True(definition.MovesAlias);
            Assert.Contains(StepsOf(definition, new RotationParameters()), s => s.Key == key && s.Kind == StepKind.Action);
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void A_definition_says_which_keys_it_fits_and_why_not(WorkflowKind kind)
    {
        var definition = WorkflowDefinitions.BuiltIn[kind];
        var fitting = new[] { OriginType.AWS_KMS, OriginType.EXTERNAL }.Select(origin => Key(origin.Value, "alias/app"))
            .Where(key => definition.WhyNotFor(key) is null).ToList();
        Assert.Equal(definition.RequestedFromKey, fitting.Count > 0);
        Assert.NotNull(definition.WhyNotFor(Key(OriginType.AWS_CLOUDHSM.Value, "alias/app")));
        if (definition.RequestedFromKey && definition.MovesAlias)
        {
            Assert.Contains("alias", definition.WhyNotFor(fitting[0] with { Aliases = [] }), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void No_workflow_fits_a_key_pending_deletion_or_not_found()
    {
        Assert.Empty(WorkflowDefinitions.BuiltIn.Fitting(Key(OriginType.AWS_KMS.Value, "alias/app") with { KeyState = KeyState.PendingDeletion.Value }));
        Assert.Empty(WorkflowDefinitions.BuiltIn.Fitting(Key(OriginType.EXTERNAL.Value, "alias/app") with { KeyState = Preflight.NotFoundState }));
    }

    private static IEnumerable<RotationParameters> ParameterChoices(WorkflowDefinition definition)
    {
        yield return new RotationParameters();
        yield return new RotationParameters { RotateNow = true };
        foreach (var fate in definition.OldKeyFates)
        {
            yield return new RotationParameters { OldKeyFate = fate };
        }
    }

    private static List<WorkflowStep> StepsOf(WorkflowDefinition definition, RotationParameters parameters)
    {
        using var kms = new AmazonKeyManagementServiceClient(new Amazon.Runtime.AnonymousAWSCredentials(),
            new AmazonKeyManagementServiceConfig { ServiceURL = "http://127.0.0.1:9", AuthenticationRegion = "us-east-1" });
        var run = new Run { Id = Guid.NewGuid(), Workflow = definition.Kind, Target = "t", KeyId = "k", AliasName = "alias/app", Parameters = parameters };
        return definition.Steps(new WorkflowStepSource(run, kms, null!, new ApprovalPolicy())).ToList();
    }

    private static KeySummary Key(string origin, params string[] aliases) =>
        new("t", "k", "arn", aliases, origin, KeySpec.SYMMETRIC_DEFAULT.Value, KeyUsageType.ENCRYPT_DECRYPT.Value, KeyState.Enabled.Value, "", null, null);
}
