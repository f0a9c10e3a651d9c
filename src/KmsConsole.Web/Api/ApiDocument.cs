using System.Text.Json.Nodes;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace KmsConsole.Web.Api;

/// <summary>The document's title and how to authenticate: a bearer token (personal access token or the identity provider's).</summary>
internal sealed class ApiDocument : IOpenApiDocumentTransformer
{
    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Info = new OpenApiInfo
        {
            Title = "KmsConsole API",
            Version = "v1",
            Description = "Request, approve and follow KMS key rotations and read the audit trail. Authenticate with " +
                          "`Authorization: Bearer <personal access token>` (made on the Access tokens page or with `tokens create`) " +
                          "or with a bearer token of the console's identity provider. Errors are RFC 9457 problem details.",
        };
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes["bearer"] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            Description = "A personal access token (kmsc_pat_…) or the identity provider's access token.",
        };
        document.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference("bearer", document)] = [] }];
        return Task.CompletedTask;
    }
}

/// <summary>Examples of the request bodies, so the reference page shows a call that works against the local setup.</summary>
internal sealed class ApiExamples : IOpenApiOperationTransformer
{
    private static readonly Dictionary<string, JsonNode> Examples = new(StringComparer.Ordinal)
    {
        ["RequestRun"] = new JsonObject
        {
            ["target"] = "local",
            ["keyId"] = "alias/FirstCMK",
            ["workflow"] = "AliasSwapNewKey",
            ["parameters"] = new JsonObject { ["oldKeyFate"] = "Keep" },
            ["justification"] = "Yearly rotation of the application key (CHG-1234)",
        },
        ["ApproveRun"] = new JsonObject { ["comment"] = "Checked the change ticket" },
        ["RejectRun"] = new JsonObject { ["comment"] = "No change ticket for this" },
        ["CancelRun"] = new JsonObject { ["reason"] = "Asked for the wrong key" },
        ["ResumeRun"] = new JsonObject { ["reason"] = "The missing kms:CreateKey permission was granted" },
        ["RollBackRun"] = new JsonObject { ["justification"] = "The application cannot decrypt with the new key" },
        ["VerifyAudit"] = new JsonObject { ["anchor"] = "42:3f7a…" },
        ["ProposePolicy"] = new JsonObject
        {
            ["name"] = "KMS.4 yearly rotation",
            ["scope"] = new JsonObject { ["origins"] = new JsonArray("AWS_KMS"), ["keyManagers"] = new JsonArray("CUSTOMER") },
            ["rule"] = new JsonObject
            {
                ["kind"] = "AutomaticRotation",
                ["days"] = 365,
                ["remedy"] = "EnableAutomaticRotation",
                ["remedyParameters"] = new JsonObject { ["rotationPeriodInDays"] = 365 },
            },
            ["justification"] = "Security Hub control KMS.4: customer managed keys rotate at least yearly",
        },
        ["RetirePolicy"] = new JsonObject { ["justification"] = "Replaced by the 180-day policy" },
        ["ApprovePolicyVersion"] = new JsonObject { ["comment"] = "Matches the security standard" },
        ["RejectPolicyVersion"] = new JsonObject { ["comment"] = "The scope would include the payment keys" },
        ["RequestExemption"] = new JsonObject
        {
            ["policyId"] = "5f0c1c8e-6a43-4e0f-9a55-2f3e7a1f9b10",
            ["target"] = "local",
            ["keyId"] = "1234abcd-12ab-34cd-56ef-1234567890ab",
            ["reason"] = "The legacy batch job cannot follow a rotated key until its release in March (CHG-2201)",
            ["expiresAt"] = "2027-03-31T00:00:00Z",
        },
        ["ApproveExemption"] = new JsonObject { ["comment"] = "Until the batch job's release" },
        ["RejectExemption"] = new JsonObject { ["comment"] = "The job reads the alias; rotation does not affect it" },
        ["RevokeExemption"] = new JsonObject { ["reason"] = "The batch job was released early" },
        ["RequestCampaign"] = new JsonObject
        {
            ["target"] = "local",
            ["keys"] = new JsonArray("alias/FirstCMK"),
            ["workflow"] = "EnableAutomaticRotation",
            ["parameters"] = new JsonObject { ["rotationPeriodInDays"] = 365 },
            ["justification"] = "Turn on yearly rotation for the application keys (CHG-1240)",
            ["concurrency"] = 5,
        },
        ["RequestPolicyCampaign"] = new JsonObject
        {
            ["policyId"] = "5f0c1c8e-6a43-4e0f-9a55-2f3e7a1f9b10",
            ["justification"] = "Remedy the keys that break KMS.4",
            ["concurrency"] = 10,
        },
        ["ApproveCampaign"] = new JsonObject { ["comment"] = "Checked the key list" },
        ["RejectCampaign"] = new JsonObject { ["comment"] = "Leave the payment keys out" },
        ["ApproveCampaignFate"] = new JsonObject { ["comment"] = "No use of the old keys since the aliases moved" },
        ["RejectCampaignFate"] = new JsonObject { ["comment"] = "Keep the old keys until the quarter ends" },
        ["ApproveCampaignDeletion"] = new JsonObject { ["comment"] = "Watched disabled for 14 days, unused" },
        ["RejectCampaignDeletion"] = new JsonObject { ["comment"] = "Keep the disabled keys until the audit closes" },
        ["RetryFailedCampaignKeys"] = new JsonObject { ["justification"] = "The missing kms:EnableKeyRotation permission was granted" },
    };

    public Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        if (operation.OperationId is { } id && Examples.TryGetValue(id, out var example)
            && operation.RequestBody?.Content?.TryGetValue("application/json", out var body) == true && body is OpenApiMediaType media)
        {
            media.Example = example.DeepClone();
        }

        return Task.CompletedTask;
    }
}
