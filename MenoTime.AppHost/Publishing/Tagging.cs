using Amazon.CDK;
using Constructs;

namespace MenoTime.AppHost.Publishing;

/// <summary>
/// Seed 000's mandatory tags on every resource that takes tags. The stack sets every key; a construct
/// subtree overrides the keys that describe it (a database is Component=database, Backup=daily).
/// Tag values cannot hold commas (S3, ECS and others reject them), so seed 000's "hipaa,pii-storage" is
/// written "hipaa+pii-storage".
/// </summary>
public static class Tagging
{
    public static readonly string[] MandatoryKeys = ["Environment", "Application", "Component", "CostCenter", "Owner", "Compliance", "Backup", "Encryption"];

    public static void ApplyDefaults(Stack stack, string environment, string costCenter)
    {
        Set(stack, "Environment", environment);
        Set(stack, "Application", EnvironmentProfile.Application);
        Set(stack, "Component", "backend");
        Set(stack, "CostCenter", costCenter);
        Set(stack, "Owner", EnvironmentProfile.Owner);
        Set(stack, "Compliance", "hipaa");
        Set(stack, "Backup", "none");
        Set(stack, "Encryption", "kms");
    }

    public static T Describe<T>(T construct, string? component = null, string? compliance = null, string? backup = null, string? encryption = null, string? costCenter = null)
        where T : IConstruct
    {
        // Closer to the resource wins over the stack's defaults.
        const int priority = 200;
        void Maybe(string key, string? value)
        {
            if (value is not null)
            {
                Tags.Of(construct).Add(key, value, new TagProps { Priority = priority });
            }
        }

        Maybe("Component", component);
        Maybe("Compliance", compliance);
        Maybe("Backup", backup);
        Maybe("Encryption", encryption);
        Maybe("CostCenter", costCenter);
        return construct;
    }

    /// <summary>
    /// For an L1 resource whose CloudFormation type takes tags but whose CDK 2.160 class does not know it yet
    /// (AWS::EC2::VPCEndpoint): the same eight tags, written into the template directly.
    /// </summary>
    public static void Write(CfnResource resource, string environment, string costCenter, string component, string encryption)
    {
        var tags = new Dictionary<string, string>
        {
            ["Environment"] = environment,
            ["Application"] = EnvironmentProfile.Application,
            ["Component"] = component,
            ["CostCenter"] = costCenter,
            ["Owner"] = EnvironmentProfile.Owner,
            ["Compliance"] = "hipaa",
            ["Backup"] = "none",
            ["Encryption"] = encryption,
        };
        resource.AddPropertyOverride("Tags", tags.Select(t => new Dictionary<string, string> { ["Key"] = t.Key, ["Value"] = t.Value }).ToArray());
    }

    private static void Set(IConstruct scope, string key, string value) => Tags.Of(scope).Add(key, value, new TagProps { Priority = 100 });
}
