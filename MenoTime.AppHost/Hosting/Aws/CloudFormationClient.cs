using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Xml.Linq;

namespace MenoTime.AppHost.Hosting.Aws;

public sealed record StackSummary(string StackId, string Status, string? StatusReason, IReadOnlyDictionary<string, string> Outputs, IReadOnlyDictionary<string, string> Tags);

public sealed record StackEvent(DateTimeOffset Timestamp, string LogicalResourceId, string ResourceType, string Status, string? Reason);

/// <summary>A CloudFormation error answer: its code (ValidationError, AlreadyExistsException…) and message.</summary>
public sealed class CloudFormationException(string code, string message) : Exception(message)
{
    public string Code { get; } = code;
}

/// <summary>
/// The few CloudFormation Query API calls the host needs, signed with SigV4 (AWSSDK.CloudFormation is not
/// on the package feed). Works against AWS and against moto's CloudFormation.
/// </summary>
public sealed class CloudFormationClient(HttpClient http, Uri endpoint, string region, AwsCredentials credentials, TimeProvider clock)
{
    private const string Version = "2010-05-15";
    private static readonly XNamespace Ns = "http://cloudformation.amazonaws.com/doc/2010-05-15/";

    /// <summary>The stack, or null when there is none by that name.</summary>
    public async Task<StackSummary?> DescribeStackAsync(string stackName, CancellationToken cancellationToken)
    {
        XElement result;
        try
        {
            result = await CallAsync("DescribeStacks", [new("StackName", stackName)], cancellationToken);
        }
        catch (CloudFormationException e) when (e.Code == "ValidationError" && e.Message.Contains("does not exist", StringComparison.Ordinal))
        {
            return null;
        }

        var stack = result.Descendants(Ns + "Stacks").Elements(Ns + "member").FirstOrDefault();
        if (stack is null)
        {
            return null;
        }

        static Dictionary<string, string> Pairs(XElement? parent, string keyName, string valueName) =>
            (parent?.Elements(Ns + "member") ?? [])
                .Where(m => m.Element(Ns + keyName) is not null)
                .ToDictionary(m => m.Element(Ns + keyName)!.Value, m => m.Element(Ns + valueName)?.Value ?? "", StringComparer.Ordinal);

        return new StackSummary(
            stack.Element(Ns + "StackId")!.Value,
            stack.Element(Ns + "StackStatus")!.Value,
            stack.Element(Ns + "StackStatusReason")?.Value,
            Pairs(stack.Element(Ns + "Outputs"), "OutputKey", "OutputValue"),
            Pairs(stack.Element(Ns + "Tags"), "Key", "Value"));
    }

    public Task CreateStackAsync(string stackName, string templateBody, IReadOnlyDictionary<string, string> parameters, IReadOnlyDictionary<string, string> tags, CancellationToken cancellationToken) =>
        CallAsync("CreateStack", [new("StackName", stackName), new("TemplateBody", templateBody), new("OnFailure", "ROLLBACK"), .. Capabilities, .. Members("Parameters", parameters, "ParameterKey", "ParameterValue"), .. Members("Tags", tags, "Key", "Value")], cancellationToken);

    /// <returns>False when CloudFormation finds nothing to update.</returns>
    public async Task<bool> UpdateStackAsync(string stackName, string templateBody, IReadOnlyDictionary<string, string> parameters, IReadOnlyDictionary<string, string> tags, CancellationToken cancellationToken)
    {
        try
        {
            await CallAsync("UpdateStack", [new("StackName", stackName), new("TemplateBody", templateBody), .. Capabilities, .. Members("Parameters", parameters, "ParameterKey", "ParameterValue"), .. Members("Tags", tags, "Key", "Value")], cancellationToken);
            return true;
        }
        catch (CloudFormationException e) when (e.Code == "ValidationError" && e.Message.Contains("No updates are to be performed", StringComparison.Ordinal))
        {
            return false;
        }
    }

    public Task DeleteStackAsync(string stackName, CancellationToken cancellationToken) =>
        CallAsync("DeleteStack", [new("StackName", stackName)], cancellationToken);

    /// <summary>The stack's events, newest first (the first page: enough to find what just failed).</summary>
    public async Task<IReadOnlyList<StackEvent>> DescribeStackEventsAsync(string stackName, CancellationToken cancellationToken)
    {
        var result = await CallAsync("DescribeStackEvents", [new("StackName", stackName)], cancellationToken);
        return result.Descendants(Ns + "StackEvents").Elements(Ns + "member").Select(m => new StackEvent(
            DateTimeOffset.Parse(m.Element(Ns + "Timestamp")!.Value, CultureInfo.InvariantCulture),
            m.Element(Ns + "LogicalResourceId")?.Value ?? "",
            m.Element(Ns + "ResourceType")?.Value ?? "",
            m.Element(Ns + "ResourceStatus")?.Value ?? "",
            m.Element(Ns + "ResourceStatusReason")?.Value)).ToList();
    }

    // Templates of the app resources create no IAM resources, but an environment's may: acknowledge it.
    private static IEnumerable<KeyValuePair<string, string>> Capabilities =>
        [new("Capabilities.member.1", "CAPABILITY_IAM"), new("Capabilities.member.2", "CAPABILITY_NAMED_IAM")];

    private static IEnumerable<KeyValuePair<string, string>> Members(string list, IReadOnlyDictionary<string, string> pairs, string keyName, string valueName) =>
        pairs.SelectMany((pair, index) => new KeyValuePair<string, string>[]
        {
            new($"{list}.member.{index + 1}.{keyName}", pair.Key),
            new($"{list}.member.{index + 1}.{valueName}", pair.Value),
        });

    private async Task<XElement> CallAsync(string action, IEnumerable<KeyValuePair<string, string>> parameters, CancellationToken cancellationToken)
    {
        var form = string.Join('&', parameters.Prepend(new("Version", Version)).Prepend(new("Action", action))
            .Select(p => $"{Uri.EscapeDataString(p.Key)}={Uri.EscapeDataString(p.Value)}"));
        var body = Encoding.UTF8.GetBytes(form);
        using var request = new HttpRequestMessage(HttpMethod.Post, endpoint) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/x-www-form-urlencoded") { CharSet = "utf-8" };
        SigV4.Sign(request, body, credentials, region, "cloudformation", clock.GetUtcNow());

        using var response = await http.SendAsync(request, cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        XElement document;
        try
        {
            document = XElement.Parse(text);
        }
        catch (System.Xml.XmlException)
        {
            throw new CloudFormationException("UnexpectedResponse", $"{action}: HTTP {(int)response.StatusCode} with a body that is not XML: {Shorten(text)}");
        }

        if (!response.IsSuccessStatusCode)
        {
            var error = document.Descendants().FirstOrDefault(e => e.Name.LocalName == "Error");
            var code = error?.Elements().FirstOrDefault(e => e.Name.LocalName == "Code")?.Value ?? $"HTTP {(int)response.StatusCode}";
            var message = error?.Elements().FirstOrDefault(e => e.Name.LocalName == "Message")?.Value ?? Shorten(text);
            throw new CloudFormationException(code, message);
        }

        return document;
    }

    private static string Shorten(string text) => text.Length <= 300 ? text : text[..300] + "…";
}
