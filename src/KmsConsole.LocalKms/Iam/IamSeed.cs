namespace KmsConsole.LocalKms.Iam;

/// <summary>
/// The IAM state a fresh local endpoint starts with, mirroring where the workshop's rotation chapter begins:
/// the role <c>KMSWorkshop-InstanceInitRole</c> holding the managed policy <c>KMS-Workshop-ImportMaterialPermissions</c>
/// (create keys, import material, read keys and aliases, use keys) but none of the permissions the rotations add —
/// no kms:EnableKeyRotation, kms:UpdateAlias, kms:DisableKey, kms:EnableKey, kms:ScheduleKeyDeletion or
/// kms:DeleteImportedKeyMaterial. The workshop does not list that policy's actions; these are KmsConsole's choice
/// of what importing material needs. With enforcement on, a rotation refused for a missing permission and the
/// admin applying the generated policy can be rehearsed locally exactly as in the workshop.
/// </summary>
public static class IamSeed
{
    public const string RoleName = "KMSWorkshop-InstanceInitRole";
    public const string PolicyName = "KMS-Workshop-ImportMaterialPermissions";

    private const string Trust = """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}""";

    public const string ImportMaterialPermissions = """
        {
          "Version": "2012-10-17",
          "Statement": [
            {
              "Sid": "ImportMaterial",
              "Effect": "Allow",
              "Action": [
                "kms:CreateAlias", "kms:CreateKey", "kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey",
                "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:GetParametersForImport", "kms:ImportKeyMaterial",
                "kms:ListAliases", "kms:ListKeyRotations", "kms:ListKeys", "kms:ListResourceTags", "kms:TagResource"
              ],
              "Resource": "*"
            }
          ]
        }
        """;

    public static async Task ApplyAsync(IamStore store, LocalIamOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        await store.CreateRoleAsync(RoleName, "/", Trust, "The workshop's instance role (seeded by the local endpoint)", 3600, cancellationToken).ConfigureAwait(false);
        var policy = await store.CreatePolicyAsync(PolicyName, "/", ImportMaterialPermissions, "Import key material (seeded by the local endpoint)", cancellationToken).ConfigureAwait(false);
        await store.AttachRolePolicyAsync(RoleName, policy.Arn, cancellationToken).ConfigureAwait(false);
        foreach (var accessKey in options.SeedAccessKeys)
        {
            await store.MapAccessKeyAsync(accessKey, RoleName, cancellationToken).ConfigureAwait(false);
        }
    }
}
