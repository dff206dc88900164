using System.Globalization;
using System.Reflection;
using System.Text.Json;

namespace MenoTime.AppHost.Publishing;

public sealed record CostLine(string Item, decimal MonthlyUsd);

/// <summary>
/// The monthly cost of one environment from the published topology (task sizes and counts, RDS, NAT, ALB,
/// WAF rules, keys, secrets, alarms) and the dated us-west-1 price table kept as data beside this file
/// (<c>prices-us-west-1.json</c>), with that table's usage assumptions per environment.
/// </summary>
public sealed record CostEstimate(string Environment, string PricesAsOf, IReadOnlyList<CostLine> Lines)
{
    public decimal MonthlyUsd => Lines.Sum(l => l.MonthlyUsd);

    /// <summary>The account-wide stack's share (GuardDuty, AWS Config, CloudTrail, the hosted zone, its key and secret).</summary>
    public static CostEstimate Shared()
    {
        var table = PriceTable.Load();
        var p = table.Prices;
        return new CostEstimate("shared", table.PricesAsOf,
        [
            new("GuardDuty (usage-based estimate)", p["guardDutyMonthEstimate"]),
            new("AWS Config (items and rule evaluations, estimate)", p["configItemsMonthEstimate"]),
            new("CloudTrail (S3 and KMS for one trail, estimate)", p["cloudTrailMonthEstimate"]),
            new("KMS shared key + SES SMTP secret", p["kmsKeyMonth"] + p["secretMonth"]),
            new("Route 53 hosted zone", p["route53ZoneMonth"]),
        ]);
    }

    public static CostEstimate For(EnvironmentTopology topology)
    {
        var table = PriceTable.Load();
        var p = table.Prices;
        var u = table.Usage[topology.Profile.Name];
        var hours = table.HoursPerMonth;
        var profile = topology.Profile;
        var services = topology.Services.Count;
        var vcpu = profile.TaskCpu / 1024m;
        var memoryGb = profile.TaskMemoryMiB / 1024m;
        var tasks = services * profile.DesiredTasks;
        var alarms = topology.Node.FindAll().OfType<Amazon.CDK.AWS.CloudWatch.Alarm>().Count();
        const int wafRules = 4;
        const int keys = 3; // master, EBS, field encryption
        const int secrets = 2; // database, third-party keys
        const int publicAddresses = 2; // the ALB's, one per AZ; each NAT gateway adds one
        var lines = new List<CostLine>
        {
            new($"ECS Fargate: {tasks} tasks × {vcpu} vCPU / {memoryGb} GB (at the minimum count)", tasks * (vcpu * p["fargateVcpuHour"] + memoryGb * p["fargateGbHour"]) * hours),
            new("RDS PostgreSQL db.m7g.large Single-AZ", p["rdsDbM7gLargeHour"] * hours),
            new("RDS gp3 storage, 100 GB allocated", 100 * p["rdsGp3GbMonth"]),
            new($"AWS Backup storage (~{u["backupGb"]} GB of daily snapshots, 35 days)", u["backupGb"] * p["backupStorageGbMonth"]),
            new($"NAT gateways: {profile.NatGateways} + {u["natDataGb"]} GB processed", profile.NatGateways * p["natGatewayHour"] * hours + u["natDataGb"] * p["natGatewayDataGb"]),
            new($"Application Load Balancer + {u["albLcu"]} LCU", (p["albHour"] + u["albLcu"] * p["albLcuHour"]) * hours),
            new($"Public IPv4 addresses: {publicAddresses + profile.NatGateways}", (publicAddresses + profile.NatGateways) * p["publicIpv4Hour"] * hours),
            new($"WAF web ACL, {wafRules} rules, {u["requestsMillions"]} M requests", p["wafWebAclMonth"] + wafRules * p["wafRuleMonth"] + u["requestsMillions"] * p["wafMillionRequests"]),
            new($"CloudFront: {u["cdnDataGb"]} GB, {u["requestsMillions"]} M requests", u["cdnDataGb"] * p["cloudFrontDataGb"] + u["requestsMillions"] * p["cloudFrontMillionHttpsRequests"]),
            new($"KMS keys: {keys}", keys * p["kmsKeyMonth"]),
            new($"Secrets Manager secrets: {secrets}", secrets * p["secretMonth"]),
            new($"CloudWatch: {u["logsGb"]} GB logs ingested, {alarms} alarms", u["logsGb"] * p["cloudWatchLogsIngestGb"] + alarms * p["cloudWatchAlarmMonth"]),
            new($"Cognito advanced security: {u["monthlyActiveUsers"]} monthly active users", u["monthlyActiveUsers"] * p["cognitoAdvancedSecurityMau"]),
            new($"S3: {u["s3Gb"]} GB", u["s3Gb"] * p["s3StandardGbMonth"]),
        };
        return new CostEstimate(profile.Name, table.PricesAsOf, [.. lines.Select(l => l with { MonthlyUsd = Math.Round(l.MonthlyUsd, 2) })]);
    }

    public string Format()
    {
        var width = Lines.Max(l => l.Item.Length);
        var rows = Lines.Select(l => $"  {l.Item.PadRight(width)}  {l.MonthlyUsd.ToString("N2", CultureInfo.InvariantCulture),9}");
        return string.Join('\n', rows.Append($"  {"Total per month".PadRight(width)}  {MonthlyUsd.ToString("N2", CultureInfo.InvariantCulture),9}"));
    }

    private sealed record PriceTable(string PricesAsOf, int HoursPerMonth, Dictionary<string, decimal> Prices, Dictionary<string, Dictionary<string, decimal>> Usage)
    {
        private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);

        public static PriceTable Load()
        {
            using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("MenoTime.AppHost.Publishing.prices-us-west-1.json")
                ?? throw new InvalidOperationException("The price table is not embedded in the AppHost.");
            return JsonSerializer.Deserialize<PriceTable>(stream, JsonOptions)
                ?? throw new InvalidOperationException("The price table is empty.");
        }
    }
}
