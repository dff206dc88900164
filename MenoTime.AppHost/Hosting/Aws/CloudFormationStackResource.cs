using System.Security.Cryptography;
using System.Text;

namespace MenoTime.AppHost.Hosting.Aws;

/// <summary>Where the stack goes: the local emulator (moto), or a real account through a named profile.</summary>
public sealed record AwsTarget(string Region, AwsEmulatorResource? Emulator, string? Profile)
{
    public bool IsEmulator => Emulator is not null;
}

/// <summary>
/// A CloudFormation template provisioned as a stack before the services that wait for it start; they get
/// every stack output as <c>AWS__Resources__{OutputKey}</c>, the region, and, for the emulator only, its
/// endpoint and throwaway credentials. A failed stack stops the start with the failing resource and reason.
/// Against a real account the stack is updated only when the template (or its parameters) changed: their
/// hash is kept as a stack tag.
/// </summary>
public sealed class CloudFormationStackResource : Resource, IResourceWithReferenceEnvironment
{
    public const string TemplateHashTag = "menotime:template-sha256";

    /// <summary>Credentials moto accepts; nothing else does.</summary>
    public static readonly AwsCredentials EmulatorCredentials = new("menotime-local", "menotime-local");

    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(60) };
    private Dictionary<string, string>? _outputs;

    internal CloudFormationStackResource(string name, string templatePath, string stackName, AwsTarget target) : base(name)
    {
        TemplatePath = templatePath;
        StackName = stackName;
        Target = target;
        BeforeStart.Add(ProvisionAsync);
    }

    public string TemplatePath { get; }

    public string StackName { get; }

    public AwsTarget Target { get; }

    public Dictionary<string, string> Parameters { get; } = new(StringComparer.Ordinal);

    /// <summary>The stack's outputs once it is provisioned.</summary>
    public IReadOnlyDictionary<string, string> Outputs =>
        _outputs ?? throw new InvalidOperationException($"{Name} has not been provisioned yet: resources that reference it must WaitFor it.");

    public IEnumerable<KeyValuePair<string, string>> GetReferenceEnvironment(DistributedApplication app)
    {
        foreach (var (key, value) in Outputs)
        {
            yield return new($"AWS__Resources__{key}", value);
        }

        yield return new("AWS_REGION", Target.Region);
        if (Target.Emulator is { } emulator)
        {
            yield return new("AWS_ENDPOINT_URL", emulator.GetEndpoint(app).ToString().TrimEnd('/'));
            yield return new("AWS_ACCESS_KEY_ID", EmulatorCredentials.AccessKeyId);
            yield return new("AWS_SECRET_ACCESS_KEY", EmulatorCredentials.SecretAccessKey);
        }
        else if (Target.Profile is { } profile)
        {
            yield return new("AWS_PROFILE", profile);
        }
    }

    public override IEnumerable<string> MissingPrerequisites(DistributedApplicationOptions options)
    {
        if (!File.Exists(TemplatePath))
        {
            yield return $"{Name}: the CloudFormation template {TemplatePath} does not exist.";
        }
    }

    public override IEnumerable<string> Describe(DistributedApplication app) =>
        [$"{Name,-12} stack {StackName} in {(Target.IsEmulator ? "the emulator" : $"profile {Target.Profile}")}, {Target.Region}: " +
         string.Join(", ", Outputs.Keys.Select(k => $"AWS__Resources__{k}"))];

    /// <summary>SHA-256 over the template and its parameters: what decides whether a stack needs an update.</summary>
    public string ComputeTemplateHash(string templateBody)
    {
        var text = templateBody + "\n" + string.Join("\n", Parameters.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}"));
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
    }

    private async Task ProvisionAsync(ResourceContext context, CancellationToken cancellationToken)
    {
        var client = await CreateClientAsync(context.App, cancellationToken);
        var templateBody = await File.ReadAllTextAsync(TemplatePath, cancellationToken);
        var hash = ComputeTemplateHash(templateBody);
        var tags = new Dictionary<string, string>(StringComparer.Ordinal) { [TemplateHashTag] = hash, ["Application"] = "menotime" };
        var provisioner = new StackProvisioner(client, StackName, Target.IsEmulator ? TimeSpan.FromMilliseconds(100) : TimeSpan.FromSeconds(5), context.Log, Name);
        try
        {
            _outputs = new Dictionary<string, string>(await provisioner.ProvisionAsync(templateBody, Parameters, tags, cancellationToken), StringComparer.Ordinal);
        }
        catch (CloudFormationException e)
        {
            throw new DistributedApplicationException($"{Name}: CloudFormation refused {Path.GetFileName(TemplatePath)} for stack {StackName}: {e.Code}: {e.Message}", e);
        }
        catch (HttpRequestException e)
        {
            throw new DistributedApplicationException($"{Name}: CloudFormation could not be reached ({e.Message}).", e);
        }
    }

    private async Task<CloudFormationClient> CreateClientAsync(DistributedApplication app, CancellationToken cancellationToken)
    {
        if (Target.Emulator is { } emulator)
        {
            return new CloudFormationClient(Http, emulator.GetEndpoint(app), Target.Region, EmulatorCredentials, TimeProvider.System);
        }

        var credentials = await AwsProfiles.GetCredentialsAsync(Target.Profile!, cancellationToken);
        return new CloudFormationClient(Http, new Uri($"https://cloudformation.{Target.Region}.amazonaws.com/"), Target.Region, credentials, TimeProvider.System);
    }
}
