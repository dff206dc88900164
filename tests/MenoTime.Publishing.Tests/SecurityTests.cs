using System.Text.Json.Nodes;
using MenoTime.AppHost.Publishing;

namespace MenoTime.Publishing.Tests;

/// <summary>Seed 000 IAM roles with least privilege, the mandatory tags, and seed 003's Cognito.</summary>
public sealed class SecurityTests(PublishedEnvironments published)
{
    [Theory]
    [MemberData(nameof(PublishedEnvironments.Names), MemberType = typeof(PublishedEnvironments))]
    public void Task_execution_roles_pull_their_image_read_their_secrets_and_write_logs_but_cannot_push_images(string environment)
    {
        var template = published[environment].Environment;

        foreach (var service in new[] { "Api", "Worker" })
        {
            var statements = Statements(template, $"{service}TaskExecutionRole");
            var actions = statements.SelectMany(s => Actions(s)).ToList();
            Assert.Contains("ecr:BatchGetImage", actions);
            Assert.Contains("ecr:GetDownloadUrlForLayer", actions);
            Assert.Contains("logs:PutLogEvents", actions);
            Assert.DoesNotContain(actions, a => a is "ecr:PutImage" or "ecr:InitiateLayerUpload" or "ecr:UploadLayerPart" or "ecr:CompleteLayerUpload" or "logs:CreateLogGroup");
            Assert.DoesNotContain(actions, a => a.EndsWith('*'));
            var pulls = statements.Where(s => Actions(s).Contains("ecr:BatchGetImage")).Select(s => Refs.Strings(s["Resource"]).Last()).Order().ToList();
            Assert.Equal(new[] { ":repository/menotime/migrations", $":repository/menotime/{service.ToLowerInvariant()}" }.Order(), pulls.Select(p => p[p.IndexOf(":repository", StringComparison.Ordinal)..]).Order());
            // Only GetAuthorizationToken (no resource-level permission exists for it) may name every resource.
            Assert.All(statements.Where(IsForEveryResource), s => Assert.Equal(["ecr:GetAuthorizationToken"], Actions(s)));
        }
    }

    [Theory]
    [MemberData(nameof(PublishedEnvironments.Names), MemberType = typeof(PublishedEnvironments))]
    public void Task_roles_grant_the_api_only_the_field_key_and_the_app_buckets_and_the_worker_nothing_of_them(string environment)
    {
        var template = published[environment].Environment;

        var api = Statements(template, "ApiTaskRole");
        var kms = Assert.Single(api, s => Actions(s).Any(a => a.StartsWith("kms:", StringComparison.Ordinal)));
        Assert.True(Refs.IsRefTo(kms["Resource"], "FieldEncryptionKey"));
        Assert.Equal(["kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey", "kms:ReEncryptFrom", "kms:ReEncryptTo"], Actions(kms).Order());
        var s3 = api.Where(s => Actions(s).Any(a => a.StartsWith("s3:", StringComparison.Ordinal))).ToList();
        Assert.Equal(2, s3.Count);
        Assert.Equal(["s3:GetObject", "s3:PutObject"], Actions(Assert.Single(s3, s => Refs.RefersTo(s["Resource"], "AuditArchiveBucket"))).Order());
        Assert.All(s3, s => Assert.True(Refs.RefersTo(s["Resource"], "AuditArchiveBucket") || Refs.RefersTo(s["Resource"], "PatientExportsBucket")));
        Assert.DoesNotContain(api.SelectMany(s => Actions(s)), a => a.StartsWith("secretsmanager:", StringComparison.Ordinal) || a.StartsWith("ses:", StringComparison.Ordinal));
        Assert.All(Statements(template, "WorkerTaskRole").SelectMany(s => Actions(s)), a => Assert.True(a.StartsWith("xray:", StringComparison.Ordinal) || a.StartsWith("logs:", StringComparison.Ordinal), a));

        Assert.All(api.Where(IsForEveryResource), s => Assert.All(Actions(s), a => Assert.StartsWith("xray:", a, StringComparison.Ordinal)));
    }

    [Theory]
    [MemberData(nameof(PublishedEnvironments.Names), MemberType = typeof(PublishedEnvironments))]
    public void Rds_monitoring_role_only_writes_os_metrics(string environment)
    {
        var template = published[environment].Environment;

        var role = template.Named("AWS::IAM::Role", "DatabaseMonitoringRole");
        Assert.Equal("monitoring.rds.amazonaws.com", (string?)role["AssumeRolePolicyDocument"]!["Statement"]![0]!["Principal"]!["Service"]);
        Assert.Null(role["ManagedPolicyArns"]);
        var statements = Statements(template, "DatabaseMonitoringRole");
        Assert.All(statements, s => Assert.Contains(":log-group:RDSOSMetrics", string.Concat(Refs.Strings(s["Resource"])), StringComparison.Ordinal));
        Assert.True(Refs.RefersTo(template.One("AWS::RDS::DBInstance")["MonitoringRoleArn"], role.Id));
        Assert.Equal(60, (int?)template.One("AWS::RDS::DBInstance")["MonitoringInterval"]);
    }

    [Theory]
    [MemberData(nameof(PublishedEnvironments.Names), MemberType = typeof(PublishedEnvironments))]
    public void Every_resource_that_takes_tags_carries_the_eight_mandatory_tags(string environment)
    {
        var taggable = CfnSchemas.TagProperties;
        var checkedResources = 0;
        foreach (var template in new[] { published[environment].Environment, published[environment].Shared })
        {
            var stackEnvironment = template == published[environment].Shared ? "shared" : environment;
            foreach (var (id, node) in template.Resources)
            {
                var resource = new Resource(id, node!.AsObject());
                if (!taggable.TryGetValue(resource.Type, out var tagProperty))
                {
                    continue;
                }

                checkedResources++;
                var tags = resource.TagsIn(tagProperty);
                Assert.True(Tagging.MandatoryKeys.All(tags.ContainsKey), $"{id} ({resource.Type}) lacks {string.Join(", ", Tagging.MandatoryKeys.Where(k => !tags.ContainsKey(k)))}");
                Assert.Equal(stackEnvironment, tags["Environment"]);
                Assert.Equal("menotime", tags["Application"]);
                Assert.Equal("platform@timelessbiotech.com", tags["Owner"]);
                Assert.Contains(tags["Component"], new[] { "backend", "database", "networking", "security" });
                Assert.Contains(tags["Backup"], new[] { "daily", "weekly", "none" });
                Assert.Contains(tags["Encryption"], new[] { "kms", "aws-managed", "none" });
                Assert.All(tags["Compliance"].Split('+'), c => Assert.Contains(c, new[] { "hipaa", "pii-storage", "audit-required" }));
            }
        }

        Assert.True(checkedResources > 60, $"only {checkedResources} taggable resources were found");
        var database = published[environment].Environment.One("AWS::RDS::DBInstance").TagsIn("Tags");
        Assert.Equal(("database", "daily", "hipaa+pii-storage", "kms"), (database["Component"], database["Backup"], database["Compliance"], database["Encryption"]));
    }

    [Theory]
    [MemberData(nameof(PublishedEnvironments.Names), MemberType = typeof(PublishedEnvironments))]
    public void Cognito_user_pool_requires_mfa_strong_passwords_advanced_security_and_no_self_signup(string environment)
    {
        var template = published[environment].Environment;
        var pool = template.One("AWS::Cognito::UserPool");

        Assert.Equal("ON", (string?)pool["MfaConfiguration"]);
        Assert.Equal(["SMS_MFA", "SOFTWARE_TOKEN_MFA"], pool["EnabledMfas"]!.AsArray().Select(m => (string?)m).Order());
        var password = pool["Policies.PasswordPolicy"]!;
        Assert.True((int)password["MinimumLength"]! >= 12);
        Assert.True((bool?)password["RequireLowercase"] & (bool?)password["RequireUppercase"] & (bool?)password["RequireNumbers"] & (bool?)password["RequireSymbols"]);
        Assert.Equal("ENFORCED", (string?)pool["UserPoolAddOns.AdvancedSecurityMode"]);
        Assert.True((bool?)pool["AdminCreateUserConfig.AllowAdminCreateUserOnly"]);
        Assert.Equal(["admin", "patient", "provider", "supporter"], template.OfType("AWS::Cognito::UserPoolGroup").Select(g => (string?)g["GroupName"]).Order());
    }

    [Theory]
    [MemberData(nameof(PublishedEnvironments.Names), MemberType = typeof(PublishedEnvironments))]
    public void Cognito_has_a_public_pkce_web_client_and_a_confidential_server_client_with_15_minute_tokens(string environment)
    {
        var clients = published[environment].Environment.OfType("AWS::Cognito::UserPoolClient").ToDictionary(c => (string)c["ClientName"]!);

        var web = clients[$"menotime-{environment}-web"];
        var server = clients[$"menotime-{environment}-server"];
        Assert.False((bool?)web["GenerateSecret"]);
        Assert.Equal(["code"], web["AllowedOAuthFlows"]!.AsArray().Select(f => (string?)f));
        Assert.True((bool?)server["GenerateSecret"]);
        Assert.Equal(["client_credentials"], server["AllowedOAuthFlows"]!.AsArray().Select(f => (string?)f));
        foreach (var client in new[] { web, server })
        {
            Assert.Equal(15, (int?)client["AccessTokenValidity"]);
            Assert.Equal(15, (int?)client["IdTokenValidity"]);
            Assert.Equal(("minutes", "minutes"), ((string)client["TokenValidityUnits.AccessToken"]!, (string)client["TokenValidityUnits.IdToken"]!));
            Assert.Contains("ALLOW_USER_SRP_AUTH", client["ExplicitAuthFlows"]!.AsArray().Select(f => (string?)f));
        }
    }

    [Theory]
    [MemberData(nameof(PublishedEnvironments.Names), MemberType = typeof(PublishedEnvironments))]
    public void Api_trusts_the_issuer_of_its_environments_user_pool(string environment)
    {
        var template = published[environment].Environment;
        var pool = template.One("AWS::Cognito::UserPool");

        var api = template.Named("AWS::ECS::TaskDefinition", "ApiTask")["ContainerDefinitions"]![0]!["Environment"]!.AsArray();
        var authority = Assert.Single(api, v => (string?)v!["Name"] == "Auth__Authority")!;
        Assert.Equal([pool.Id, "ProviderURL"], authority["Value"]!["Fn::GetAtt"]!.AsArray().Select(a => (string?)a)); // https://cognito-idp.{region}.amazonaws.com/{pool id}
        var clients = Assert.Single(api, v => (string?)v!["Name"] == "Auth__ClientIds")!["Value"]!.ToJsonString();
        foreach (var client in template.OfType("AWS::Cognito::UserPoolClient"))
        {
            Assert.Contains(client.Id, clients, StringComparison.Ordinal);
        }

        Assert.Single(api, v => (string?)v!["Name"] == "Network__TrustedNetworks");
    }

    [Theory]
    [MemberData(nameof(PublishedEnvironments.Names), MemberType = typeof(PublishedEnvironments))]
    public void Api_knows_where_to_send_break_glass_alerts(string environment)
    {
        // Without it the API refuses to start (EmergencyAccessAlerts.ReadRecipients): a deploy would never turn healthy.
        var api = published[environment].Environment.Named("AWS::ECS::TaskDefinition", "ApiTask")["ContainerDefinitions"]![0]!["Environment"]!.AsArray();
        var recipient = Assert.Single(api, v => (string?)v!["Name"] == "Security__AlertRecipients__0")!;
        Assert.Equal("platform@timelessbiotech.com", (string?)recipient["Value"]);
    }

    [Theory]
    [MemberData(nameof(PublishedEnvironments.Names), MemberType = typeof(PublishedEnvironments))]
    public void Api_and_worker_log_in_as_the_application_role_and_only_the_migration_step_as_the_owner(string environment)
    {
        var template = published[environment].Environment;
        var appSecret = template.Named("AWS::SecretsManager::Secret", "AppDatabaseSecret");
        foreach (var task in new[] { "ApiTask", "WorkerTask" })
        {
            // The service's container and the migration step's; the telemetry sidecar has no database.
            var withDatabase = template.Named("AWS::ECS::TaskDefinition", task)["ContainerDefinitions"]!.AsArray()
                .Where(c => c!["Environment"]?.AsArray().Any(v => (string?)v!["Name"] == "ConnectionStrings__menotime") == true)
                .ToList();
            Assert.Equal(2, withDatabase.Count);
            foreach (var container in withDatabase)
            {
                var name = (string)container!["Name"]!;
                var connection = container["Environment"]!.AsArray().Single(v => (string?)v!["Name"] == "ConnectionStrings__menotime")!["Value"]!.ToJsonString();
                var password = container["Secrets"]!.AsArray().Single(v => (string?)v!["Name"] == "PGPASSWORD")!["ValueFrom"]!.ToJsonString();
                if (name == "migrations")
                {
                    Assert.Contains("Username=menotime_user", connection, StringComparison.Ordinal);
                    Assert.DoesNotContain(appSecret.Id, password, StringComparison.Ordinal);
                    Assert.Contains(container["Secrets"]!.AsArray(), v => (string?)v!["Name"] == "Database__ApplicationRolePassword");
                }
                else
                {
                    Assert.Contains("Username=menotime_app", connection, StringComparison.Ordinal);
                    Assert.Contains(appSecret.Id, password, StringComparison.Ordinal);
                    Assert.DoesNotContain(container["Secrets"]!.AsArray(), v => (string?)v!["Name"] == "Database__ApplicationRolePassword");
                }
            }
        }
    }

    public static List<JsonNode> Statements(Template template, string rolePrefix)
    {
        var role = template.Named("AWS::IAM::Role", rolePrefix);
        return template.OfType("AWS::IAM::Policy")
            .Where(p => p["Roles"]!.AsArray().Any(r => Refs.IsRefTo(r, role.Id)))
            .SelectMany(p => p["PolicyDocument"]!["Statement"]!.AsArray())
            .Select(s => s!)
            .ToList();
    }

    public static bool IsForEveryResource(JsonNode statement) => statement["Resource"] is JsonValue v && v.TryGetValue<string>(out var r) && r == "*";

    public static string[] Actions(JsonNode statement) => statement["Action"] switch
    {
        JsonArray a => [.. a.Select(x => (string)x!)],
        JsonValue v => [(string)v!],
        _ => [],
    };
}

/// <summary>
/// Which CloudFormation resource types take tags, and in which property: the registry's resource schemas that
/// cfn-lint ships ("tagging": {"taggable", "tagProperty"}).
/// </summary>
public static class CfnSchemas
{
    private static readonly Lazy<Dictionary<string, string>> Properties = new(() =>
        Tools.RunPython("""
            from cfnlint.schema import PROVIDER_SCHEMA_MANAGER as m
            for t in m.get_resource_types('us-west-1'):
                tagging = m.get_resource_schema('us-west-1', t).schema.get('tagging', {})
                if tagging.get('taggable', False) and tagging.get('tagProperty'):
                    print(t, tagging['tagProperty'].split('/')[-1])
            """)
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(' '))
            .ToDictionary(parts => parts[0], parts => parts[1], StringComparer.Ordinal));

    public static IReadOnlyDictionary<string, string> TagProperties => Properties.Value;
}
