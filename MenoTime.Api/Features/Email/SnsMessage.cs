using System.Text;
using System.Text.Json.Serialization;

namespace MenoTime.Api.Features.Email;

/// <summary>An Amazon SNS HTTP(S) delivery: a notification or a subscription (un)confirmation.</summary>
public sealed record SnsMessage(
    string? Type,
    string? MessageId,
    string? Token,
    string? TopicArn,
    string? Subject,
    string? Message,
    string? Timestamp,
    string? SignatureVersion,
    string? Signature,
    [property: JsonPropertyName("SigningCertURL")] string? SigningCertUrl,
    [property: JsonPropertyName("SubscribeURL")] string? SubscribeUrl)
{
    public const string Notification = "Notification";
    public const string SubscriptionConfirmation = "SubscriptionConfirmation";
    public const string UnsubscribeConfirmation = "UnsubscribeConfirmation";

    /// <summary>
    /// The string SNS signs: the listed fields as "name\nvalue\n", in byte order of the names; Subject only
    /// when present (notifications). Null when a required field is missing.
    /// </summary>
    public string? StringToSign()
    {
        (string Name, string? Value)[] fields = Type switch
        {
            Notification => [("Message", Message), ("MessageId", MessageId), ("Subject", Subject), ("Timestamp", Timestamp), ("TopicArn", TopicArn), ("Type", Type)],
            SubscriptionConfirmation or UnsubscribeConfirmation =>
                [("Message", Message), ("MessageId", MessageId), ("SubscribeURL", SubscribeUrl), ("Timestamp", Timestamp), ("Token", Token), ("TopicArn", TopicArn), ("Type", Type)],
            _ => [],
        };
        if (fields.Length == 0)
        {
            return null;
        }

        var text = new StringBuilder();
        foreach (var (name, value) in fields)
        {
            if (value is null)
            {
                if (name == "Subject")
                {
                    continue;
                }

                return null;
            }

            text.Append(name).Append('\n').Append(value).Append('\n');
        }

        return text.ToString();
    }
}
