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
