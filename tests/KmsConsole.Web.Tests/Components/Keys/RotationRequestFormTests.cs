using KmsConsole.Rotation;
using KmsConsole.Web.Components.Keys;

namespace KmsConsole.Web.Tests.Components.Keys;

public sealed class RotationRequestFormTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 29, 10, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(89, false)]
    [InlineData(90, true)]
    [InlineData(365, true)]
    [InlineData(2560, true)]
    [InlineData(2561, false)]
    public void Rotation_period_is_held_to_the_limits_of_EnableKeyRotation(int days, bool accepted)
    {
        var problem = RotationRequestForm.ValidateRotationPeriod(days);
        Assert.Equal(accepted, problem is null);
        if (!accepted)
        {
            Assert.Equal("The rotation period must be between 90 and 2560 days.", problem);
        }
    }

    [Theory]
    [InlineData(6, false)]
    [InlineData(7, true)]
    [InlineData(30, true)]
    [InlineData(31, false)]
    public void Waiting_period_is_held_to_the_limits_of_ScheduleKeyDeletion(int days, bool accepted) =>
        Assert.Equal(accepted, RotationRequestForm.ValidatePendingWindow(days) is null);

    [Fact]
    public void ValidTo_must_be_in_the_future_and_within_365_days()
    {
        Assert.Equal("The expiry must be in the future.", RotationRequestForm.ValidateValidTo(Now.UtcDateTime.Date.AddDays(-1), Now));
        Assert.Null(RotationRequestForm.ValidateValidTo(Now.UtcDateTime.Date.AddDays(30), Now));
        Assert.Equal("The expiry can be at most 365 days from now.", RotationRequestForm.ValidateValidTo(Now.UtcDateTime.Date.AddDays(400), Now));
        Assert.NotNull(RotationRequestForm.ValidateValidTo(null, Now));
    }

    [Fact]
    public void Only_the_two_OAEP_wrapping_algorithms_are_offered()
    {
        Assert.Null(RotationRequestForm.ValidateWrappingAlgorithm("RSAES_OAEP_SHA_256"));
        Assert.Null(RotationRequestForm.ValidateWrappingAlgorithm("RSAES_OAEP_SHA_1"));
        Assert.NotNull(RotationRequestForm.ValidateWrappingAlgorithm("RSAES_PKCS1_V1_5"));
    }

    [Fact]
    public void Problems_name_only_the_fields_the_chosen_workflow_uses()
    {
        var form = new RotationRequestForm { Workflow = WorkflowKind.EnableAutomaticRotation, RotationPeriodInDays = 10, PendingWindowInDays = 99 };
        var problems = form.Problems(Now);

        Assert.Contains(nameof(RotationRequestForm.RotationPeriodInDays), problems.Keys);
        Assert.Contains(nameof(RotationRequestForm.Justification), problems.Keys);
        Assert.DoesNotContain(nameof(RotationRequestForm.PendingWindowInDays), problems.Keys);
    }

    [Fact]
    public void Parameters_carry_the_imported_key_choices()
    {
        var form = new RotationRequestForm
        {
            Workflow = WorkflowKind.AliasSwapImportedKey,
            WrappingAlgorithm = "RSAES_OAEP_SHA_1",
            ExpirationModel = RotationRequestForm.KeyMaterialExpires,
            ValidToDate = new DateTime(2027, 1, 31),
            OldKeyFate = OldKeyFate.ScheduleDeletion,
            PendingWindowInDays = 7,
            Justification = "yearly rotation",
        };

        Assert.Empty(form.Problems(Now));
        var parameters = form.ToParameters();
        Assert.Equal("RSAES_OAEP_SHA_1", parameters.WrappingAlgorithm);
        Assert.Equal(OldKeyFate.ScheduleDeletion, parameters.OldKeyFate);
        Assert.Equal(7, parameters.PendingWindowInDays);
        Assert.Equal(new DateTimeOffset(2027, 1, 31, 23, 59, 59, TimeSpan.Zero), parameters.ValidTo);
        Assert.Null(parameters.RotationPeriodInDays);
    }
}
