using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using KmsConsole.Rotation.Iam;
using KmsConsole.Rotation.Runs;
using KmsConsole.Rotation.Workflows;
using Microsoft.Extensions.DependencyInjection;

namespace KmsConsole.Rotation.Tests.Workflows;

/// <summary>
/// A sixth workflow defined here, in the test project alone, registered beside the built-in ones: it is offered for
/// the keys it fits, planned, approved and run end to end through the engine against the local KMS, with no edit to
/// the console's source.
/// </summary>
public sealed class AddedWorkflowTests : IAsyncLifetime
{
    private RotationWorld _world = null!;

    public async Task InitializeAsync() =>
        _world = await RotationWorld.StartAsync(services: (s, _) => s.AddSingleton<WorkflowDefinition>(new MarkReviewedWorkflow()));

    public async Task DisposeAsync() => await _world.DisposeAsync();

    [Fact]
    public async Task A_workflow_defined_outside_the_console_is_offered_planned_and_run_through_the_engine()
    {
        var (keyId, alias) = await _world.NewAwsKeyAsync("reviewed");
        var detail = await _world.Inventory.GetDetailAsync(RotationWorld.Target, keyId);
        Assert.Contains(MarkReviewedWorkflow.Kind_, _world.Requests.WorkflowsFor(detail.Summary));
        Assert.Equal("Mark the key reviewed", _world.Get<WorkflowDefinitions>().LabelOf(MarkReviewedWorkflow.Kind_));

        var plan = await _world.Requests.PreflightAsync(new RotationRequest(RotationWorld.Target, alias, MarkReviewedWorkflow.Kind_, new RotationParameters(), "review"));
        Assert.True(plan.Allowed, string.Join(" ", plan.Refusals));
        Assert.Equal(["Approval", "Tag the key as reviewed"], plan.Steps.Select(s => s.Name));

        var run = await _world.SubmitAsync(alias, MarkReviewedWorkflow.Kind_);
        var finished = await _world.DriveAsync(run.Id);

        Assert.Equal(RunState.Succeeded, finished.State);
        Assert.All(finished.Steps, s => Assert.Equal(StepState.Succeeded, s.State));
        var tags = await _world.Kms.ListResourceTagsAsync(new ListResourceTagsRequest { KeyId = keyId });
        Assert.Contains(tags.Tags, t => t.TagKey == MarkReviewedWorkflow.TagKey && t.TagValue == run.Id.ToString());
        var audit = await _world.Audit.QueryAsync(RotationWorld.Erin, new AuditFilter { RunId = run.Id }, 0, 100);
        Assert.Contains(audit.Items, e => e.Action == "step.succeeded" && e.Details.Contains("tagged as reviewed", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_workflow_defined_outside_the_console_refuses_the_keys_it_does_not_fit()
    {
        var (keyId, _) = await _world.NewImportedKeyAsync();
        var detail = await _world.Inventory.GetDetailAsync(RotationWorld.Target, keyId);
        Assert.DoesNotContain(MarkReviewedWorkflow.Kind_, _world.Requests.WorkflowsFor(detail.Summary));

        var refused = await Assert.ThrowsAsync<RotationRefusedException>(() => _world.SubmitAsync(keyId, MarkReviewedWorkflow.Kind_));
        Assert.Contains("only AWS_KMS keys are reviewed", refused.Message, StringComparison.Ordinal);
    }

    /// <summary>Tags an AWS_KMS key with the run that reviewed it: one gate, one step that checks for its own effect.</summary>
    private sealed class MarkReviewedWorkflow : WorkflowDefinition
    {
        public const WorkflowKind Kind_ = (WorkflowKind)100;
        public const string TagKey = "kmsconsole:reviewed-by-run";

        public override WorkflowKind Kind => Kind_;
        public override string Label => "Mark the key reviewed";
        public override string Description => "Tags the key with the run that reviewed it.";

        public override string? WhyNotFor(KeySummary key) => key.Origin == OriginType.AWS_KMS.Value ? null : "only AWS_KMS keys are reviewed";

        internal override IEnumerable<WorkflowStep> Steps(WorkflowStepSource source) => [source.FirstGate(), new TagReviewedStep(source.Kms)];

        internal override Task CheckRequestAsync(RequestCheck check)
        {
            if (check.Metadata.Origin != OriginType.AWS_KMS)
            {
                check.Refuse($"{check.Name}: only AWS_KMS keys are reviewed.");
            }

            return Task.CompletedTask;
        }

        internal override void AddPermissions(KmsPermissionList p)
        {
            p.RequestReads("read the key (preflight)");
            p.Add("ListResourceTags", p.Key, "see whether the key is already tagged");
            p.Add("TagResource", p.Key, "tag the key as reviewed");
            p.Refresh(p.Key);
        }
    }

    private sealed class TagReviewedStep(IAmazonKeyManagementService kms) : WorkflowStep
    {
        public override string Key => "tag-reviewed";
        public override string Name => "Tag the key as reviewed";
        public override string Description => "TagResource on the key with the run id.";

        public override async Task<StepResult?> FindDoneAsync(StepContext context)
        {
            var tags = await kms.ListResourceTagsAsync(new ListResourceTagsRequest { KeyId = context.Run.KeyId }, context.CancellationToken);
            return tags.Tags.Any(t => t.TagKey == MarkReviewedWorkflow.TagKey && t.TagValue == context.Run.Id.ToString())
                ? new StepResult($"{context.Run.KeyId} was already tagged as reviewed")
                : null;
        }

        public override async Task<StepResult> ExecuteAsync(StepContext context)
        {
            var response = await kms.TagResourceAsync(new TagResourceRequest
            {
                KeyId = context.Run.KeyId,
                Tags = [new Tag { TagKey = MarkReviewedWorkflow.TagKey, TagValue = context.Run.Id.ToString() }],
            }, context.CancellationToken);
            return new StepResult($"{context.Run.KeyId} tagged as reviewed", response.ResponseMetadata.RequestId);
        }
    }
}
