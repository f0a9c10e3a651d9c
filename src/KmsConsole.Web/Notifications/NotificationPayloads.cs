using System.Text.Json;
using System.Text.Json.Nodes;
using KmsConsole.Rotation.Notifications;

namespace KmsConsole.Web.Notifications;

/// <summary>
/// What each channel receives for a message: a Slack Block Kit message, a Teams Adaptive Card, a Standard Webhooks JSON
/// body, an e-mail's subject and text. Each says what happened or is asked and links to the console page; nothing else of
/// the run (no parameters, no key material) goes out.
/// </summary>
public static class NotificationPayloads
{
    public static string Title(NotificationMessage message) => $"{NotificationEvents.Of(message.Event).Title}: {message.Key}";

    public static string ActionLabel(NotificationMessage message) => NotificationEvents.Of(message.Event).ActionLabel;

    /// <summary>Slack incoming webhook: <c>text</c> for notifications and clients without blocks, the blocks for the message.</summary>
    public static string Slack(NotificationMessage message, string link) => new JsonObject
    {
        ["text"] = $"{Title(message)}: {message.Summary}",
        ["blocks"] = new JsonArray
        {
            new JsonObject { ["type"] = "header", ["text"] = new JsonObject { ["type"] = "plain_text", ["text"] = Title(message) } },
            new JsonObject { ["type"] = "section", ["text"] = new JsonObject { ["type"] = "mrkdwn", ["text"] = message.Summary } },
            new JsonObject
            {
                ["type"] = "actions",
                ["elements"] = new JsonArray
                {
                    new JsonObject
                    {
                        ["type"] = "button",
                        ["text"] = new JsonObject { ["type"] = "plain_text", ["text"] = ActionLabel(message) },
                        ["url"] = link,
                    },
                },
            },
        },
    }.ToJsonString();

    /// <summary>Teams workflow webhook ("When a Teams webhook request is received"): a message with one Adaptive Card attachment.</summary>
    public static string Teams(NotificationMessage message, string link) => new JsonObject
    {
        ["type"] = "message",
        ["attachments"] = new JsonArray
        {
            new JsonObject
            {
                ["contentType"] = "application/vnd.microsoft.card.adaptive",
                ["contentUrl"] = null,
                ["content"] = new JsonObject
                {
                    ["$schema"] = "http://adaptivecards.io/schemas/adaptive-card.json",
                    ["type"] = "AdaptiveCard",
                    ["version"] = "1.4",
                    ["body"] = new JsonArray
                    {
                        new JsonObject { ["type"] = "TextBlock", ["text"] = Title(message), ["weight"] = "Bolder", ["size"] = "Medium", ["wrap"] = true },
                        new JsonObject { ["type"] = "TextBlock", ["text"] = message.Summary, ["wrap"] = true },
                    },
                    ["actions"] = new JsonArray
                    {
                        new JsonObject { ["type"] = "Action.OpenUrl", ["title"] = ActionLabel(message), ["url"] = link },
                    },
                },
            },
        },
    }.ToJsonString();

    /// <summary>Standard Webhooks body: <c>type</c>, <c>timestamp</c> and <c>data</c>.</summary>
    public static string Webhook(NotificationMessage message, string link) => JsonSerializer.Serialize(new
    {
        type = NotificationEvents.Of(message.Event).WebhookType,
        timestamp = message.CreatedAt.UtcDateTime.ToString("O"),
        data = new
        {
            runId = message.RunId,
            campaignId = message.CampaignId,
            policyId = message.PolicyId,
            target = message.Target,
            key = message.Key,
            workflow = message.Workflow?.ToString(),
            requestedBy = message.RequestedBy,
            requestedByName = message.RequestedByName,
            summary = message.Summary,
            link,
        },
    });

    public static string EmailText(NotificationMessage message, string link) =>
        $"{message.Summary}\n\n{ActionLabel(message)}: {link}\n\n— KmsConsole. Choose what you receive on {new Uri(new Uri(link), "/notifications")}.";
}
