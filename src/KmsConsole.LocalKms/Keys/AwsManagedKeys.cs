using System.Security.Cryptography;
using KmsConsole.LocalKms.Crypto;
using KmsConsole.LocalKms.Protocol;

namespace KmsConsole.LocalKms.Keys;

/// <summary>
/// AWS managed keys: alias/aws/&lt;service&gt; names a key KMS creates on first use ("if you use DescribeKey on a predefined
/// AWS alias, that is, an AWS alias with no key ID, KMS creates an AWS managed key", DescribeKey API reference; here any
/// use of the alias creates it). They have KeyManager AWS, the AWS managed key policy (use through the service for the
/// account, Describe/Get/List and RevokeGrant directly), automatic rotation every year that cannot be changed, and
/// cannot be disabled, deleted, re-described, tagged or given another policy.
/// </summary>
public static class AwsManagedKeys
{
    public const string Manager = "AWS";
    public const string AliasPrefix = "alias/aws/";
    public const int RotationPeriodInDays = 365;

    /// <summary>The services whose AWS managed key this endpoint creates (a common subset of AWS's).</summary>
    public static readonly IReadOnlySet<string> Services = new HashSet<string>(StringComparer.Ordinal)
    {
        "acm", "backup", "cloudtrail", "codecommit", "dynamodb", "ebs", "elasticfilesystem", "es", "glue", "kinesis", "lambda",
        "lightsail", "rds", "redshift", "s3", "secretsmanager", "sns", "sqs", "ssm", "xray",
    };

    /// <summary>What the AWS managed key policy lets the account do directly, plus the uses it allows through the service.</summary>
    private static readonly HashSet<string> Allowed = new(StringComparer.Ordinal)
    {
        "DescribeKey", "GetKeyPolicy", "GetKeyRotationStatus", "GetPublicKey", "GetKeyLastUsage", "ListAliases", "ListGrants",
        "ListKeyPolicies", "ListKeyRotations", "ListResourceTags", "ListRetirableGrants", "RevokeGrant", "RetireGrant",
        "Encrypt", "Decrypt", "ReEncrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext", "GenerateDataKeyPair", "GenerateDataKeyPairWithoutPlaintext", "CreateGrant",
    };

    public static bool IsManagedAlias(string aliasName) =>
        aliasName.StartsWith(AliasPrefix, StringComparison.Ordinal) && Services.Contains(aliasName[AliasPrefix.Length..]);

    /// <summary>Refuses what the AWS managed key policy does not allow the account (AWS answers AccessDeniedException).</summary>
    public static void Require(KmsKey key, string operation, string keyArn)
    {
        if (key.KeyManager == Manager && !Allowed.Contains(operation))
        {
            throw new KmsException("AccessDeniedException",
                $"{keyArn} is an AWS managed key: its key policy does not allow kms:{operation}, and AWS managed keys cannot be changed, disabled or deleted.");
        }
    }

    /// <summary>Creates the AWS managed key of <paramref name="aliasName"/> and its alias; call under the ring's gate.</summary>
    public static KmsKey Create(KeyRing ring, string aliasName, DateTimeOffset now)
    {
        var service = aliasName[AliasPrefix.Length..];
        var keyId = Guid.NewGuid().ToString();
        var secret = RandomNumberGenerator.GetBytes(32);
        var key = new KmsKey
        {
            KeyId = keyId,
            CreationDate = now,
            Description = $"Default key that protects my {service} resources when no other key is defined",
            KeyUsage = KeyUsages.EncryptDecrypt,
            KeySpec = KeySpecs.SymmetricDefault,
            Origin = KeyOrigins.AwsKms,
            KeyManager = Manager,
            Policy = Policy(ring, service),
            RotationEnabled = true,
            RotationPeriodInDays = RotationPeriodInDays,
            NextRotationDate = now.AddDays(RotationPeriodInDays),
            Materials =
            [
                new KeyMaterialVersion { MaterialId = KeyMaterialIds.Derive(keyId, secret), CreatedAt = now, State = KeyMaterialStates.Current, Secret = secret },
            ],
        };
        ring.Add(key);
        ring.SaveAlias(new KmsAlias { AliasName = aliasName, TargetKeyId = keyId, CreationDate = now, LastUpdatedDate = now });
        return key;
    }

    private static string Policy(KeyRing ring, string service) =>
        $$"""
        {
          "Version" : "2012-10-17",
          "Id" : "auto-{{service}}-1",
          "Statement" : [ {
            "Sid" : "Allow access through {{service}} for all principals in the account that are authorized to use {{service}}",
            "Effect" : "Allow",
            "Principal" : {
              "AWS" : "*"
            },
            "Action" : [ "kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:CreateGrant", "kms:DescribeKey" ],
            "Resource" : "*",
            "Condition" : {
              "StringEquals" : {
                "kms:CallerAccount" : "{{ring.AccountId}}",
                "kms:ViaService" : "{{service}}.{{ring.Region}}.amazonaws.com"
              }
            }
          }, {
            "Sid" : "Allow direct access to key metadata to the account",
            "Effect" : "Allow",
            "Principal" : {
              "AWS" : "arn:aws:iam::{{ring.AccountId}}:root"
            },
            "Action" : [ "kms:Describe*", "kms:Get*", "kms:List*", "kms:RevokeGrant" ],
            "Resource" : "*"
          } ]
        }
        """;
}
