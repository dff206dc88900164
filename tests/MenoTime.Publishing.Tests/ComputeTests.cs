using System.Text.Json.Nodes;

namespace MenoTime.Publishing.Tests;

/// <summary>Seed 000/001 ECS Fargate: every project of the model, sizes, scaling, deployments, logs, configuration.</summary>
public sealed class ComputeTests(PublishedEnvironments published)
{
    [Theory]
    [MemberData(nameof(PublishedEnvironments.Names), MemberType = typeof(PublishedEnvironments))]
    public void Every_project_becomes_a_fargate_service_and_the_migration_step_runs_first_in_their_tasks(string environment)
    {
        var template = published[environment].Environment;

        var services = template.OfType("AWS::ECS::Service").ToList();
        Assert.Equal([$"menotime-{environment}-api", $"menotime-{environment}-worker"], services.Select(s => (string?)s["ServiceName"]).Order());
        Assert.All(services, s => Assert.Equal("FARGATE", (string?)s["LaunchType"]));
        Assert.All(services, s => Assert.Equal("DISABLED", (string?)s["NetworkConfiguration.AwsvpcConfiguration.AssignPublicIp"]));
        Assert.Null(template.Named("AWS::ECS::Service", "WorkerService")["LoadBalancers"]);
        Assert.Equal([$"menotime-{environment}-api", $"menotime-{environment}-worker"], template.OfType("AWS::ECS::TaskDefinition").Select(t => (string?)t["Family"]).Order());
        foreach (var task in template.OfType("AWS::ECS::TaskDefinition"))
        {
            // WaitForCompletion(migrations): the step's container must exit 0 before the service's container starts.
            var containers = task["ContainerDefinitions"]!.AsArray().ToDictionary(c => (string)c!["Name"]!);
            var migrations = containers["migrations"]!;
            var service = containers.Values.Single(c => (bool?)c!["Essential"] == true)!;
            Assert.False((bool?)migrations["Essential"]);
            Assert.Contains("/menotime/migrations:", string.Concat(Refs.Strings(migrations["Image"])), StringComparison.Ordinal);
            var dependency = Assert.Single(service["DependsOn"]!.AsArray())!;
            Assert.Equal(("migrations", "SUCCESS"), ((string)dependency["ContainerName"]!, (string)dependency["Condition"]!));
        }

        Assert.Equal(["api", "migrations", "worker"], published[environment].Result.Images.Keys.Order());
    }

    [Theory]
    [MemberData(nameof(PublishedEnvironments.Names), MemberType = typeof(PublishedEnvironments))]
    public void Ecs_cluster_per_environment_with_container_insights_and_encrypted_task_storage(string environment)
    {
        var template = published[environment].Environment;

        var cluster = template.One("AWS::ECS::Cluster");
        Assert.Equal($"menotime-{environment}-cluster", (string?)cluster["ClusterName"]);
        Assert.Equal("enabled", (string?)cluster["ClusterSettings"]![0]!["Value"]);
        Assert.True(Refs.IsRefTo(cluster["Configuration.ManagedStorageConfiguration.FargateEphemeralStorageKmsKeyId"], template.Named("AWS::KMS::Key", "EbsKey").Id));
    }

    [Theory]
    [InlineData("dev", "512", "1024")]
    [InlineData("staging", "512", "1024")]
    [InlineData("prod", "1024", "2048")]
    public void Task_size_is_half_a_vcpu_and_1_gb_in_dev_and_staging_1_vcpu_and_2_gb_in_prod(string environment, string cpu, string memory)
    {
        var tasks = published[environment].Environment.OfType("AWS::ECS::TaskDefinition").ToList();

        Assert.Equal(2, tasks.Count);
        Assert.All(tasks, t => Assert.Equal(cpu, (string?)t["Cpu"]));
        Assert.All(tasks, t => Assert.Equal(memory, (string?)t["Memory"]));
        Assert.All(tasks, t => Assert.Equal("FARGATE", (string?)t["RequiresCompatibilities"]![0]));
    }

    [Theory]
    [MemberData(nameof(PublishedEnvironments.Names), MemberType = typeof(PublishedEnvironments))]
    public void Prod_scales_2_to_4_tasks_on_cpu_and_memory_and_the_others_run_one_task(string environment)
    {
        var template = published[environment].Environment;
        var services = template.OfType("AWS::ECS::Service").ToList();
        var targets = template.OfType("AWS::ApplicationAutoScaling::ScalableTarget").ToList();
        var policies = template.OfType("AWS::ApplicationAutoScaling::ScalingPolicy").ToList();

        if (environment == "prod")
        {
            Assert.All(services, s => Assert.Equal(2, (int?)s["DesiredCount"]));
            Assert.Equal(2, targets.Count);
            Assert.All(targets, t => Assert.Equal((2, 4), ((int)t["MinCapacity"]!, (int)t["MaxCapacity"]!)));
            var metrics = policies.Select(p => (string?)p["TargetTrackingScalingPolicyConfiguration.PredefinedMetricSpecification.PredefinedMetricType"]).ToList();
            Assert.Equal(2, metrics.Count(m => m == "ECSServiceAverageCPUUtilization"));
            Assert.Equal(2, metrics.Count(m => m == "ECSServiceAverageMemoryUtilization"));
        }
        else
        {
            Assert.All(services, s => Assert.Equal(1, (int?)s["DesiredCount"]));
            Assert.Empty(targets);
            Assert.Empty(policies);
        }
    }

    [Theory]
    [MemberData(nameof(PublishedEnvironments.Names), MemberType = typeof(PublishedEnvironments))]
    public void Deployments_are_all_at_once_in_dev_and_staging_and_rolling_with_a_task_always_up_in_prod(string environment)
    {
        foreach (var service in published[environment].Environment.OfType("AWS::ECS::Service"))
        {
            var minimum = (int)service["DeploymentConfiguration.MinimumHealthyPercent"]!;
            var maximum = (int)service["DeploymentConfiguration.MaximumPercent"]!;
            var desired = (int)service["DesiredCount"]!;
            Assert.True((bool?)service["DeploymentConfiguration.DeploymentCircuitBreaker.Rollback"]);
            if (environment == "prod")
            {
                Assert.True(desired * minimum / 100 >= 1, "at least one task keeps serving during a deployment");
                Assert.True(maximum > 100);
            }
            else
            {
                Assert.Equal((0, 100), (minimum, maximum)); // stop everything, then start the new version
            }
        }
    }

    [Theory]
    [MemberData(nameof(PublishedEnvironments.Names), MemberType = typeof(PublishedEnvironments))]
    public void Containers_log_with_awslogs_into_a_kms_encrypted_log_group(string environment)
    {
        var template = published[environment].Environment;
        var logGroup = template.Named("AWS::Logs::LogGroup", "ServiceLogs");

        Assert.Equal($"/aws/ecs/menotime-{environment}", (string?)logGroup["LogGroupName"]);
        Assert.True(Refs.RefersTo(logGroup["KmsKeyId"], template.Named("AWS::KMS::Key", "MasterKey").Id));
        var containers = template.OfType("AWS::ECS::TaskDefinition").SelectMany(t => t["ContainerDefinitions"]!.AsArray()).ToList();
        Assert.Equal(6, containers.Count); // each service's container, its migration step and its telemetry collector
        Assert.All(containers, c => Assert.Equal("awslogs", (string?)c!["LogConfiguration"]!["LogDriver"]));
        Assert.All(containers, c => Assert.True(Refs.IsRefTo(c!["LogConfiguration"]!["Options"]!["awslogs-group"], logGroup.Id)));
    }

    [Theory]
    [MemberData(nameof(PublishedEnvironments.Names), MemberType = typeof(PublishedEnvironments))]
    public void Containers_run_as_a_non_root_user_and_the_api_listens_on_8000(string environment)
    {
        var template = published[environment].Environment;

        foreach (var task in template.OfType("AWS::ECS::TaskDefinition"))
        {
            foreach (var app in task["ContainerDefinitions"]!.AsArray().Where(c => (string?)c!["Name"] != "otel-collector"))
            {
                Assert.Equal("1654", (string?)app!["User"]);
                Assert.True(Refs.RefersTo(app["Image"], "ImageTag"));
            }
        }

        var api = template.Named("AWS::ECS::TaskDefinition", "ApiTask")["ContainerDefinitions"]![0]!;
        Assert.Equal(8000, (int?)api["PortMappings"]![0]!["ContainerPort"]);
        Assert.Equal("8000", Environment(api)["ASPNETCORE_HTTP_PORTS"]);
        Assert.Equal("Production", Environment(api)["ASPNETCORE_ENVIRONMENT"]);
    }

    [Theory]
    [MemberData(nameof(PublishedEnvironments.Names), MemberType = typeof(PublishedEnvironments))]
    public void Services_get_the_configuration_contract_from_their_references(string environment)
    {
        var template = published[environment].Environment;
        var database = template.One("AWS::RDS::DBInstance");

        foreach (var name in new[] { "ApiTask", "WorkerTask" })
        {
            var container = template.Named("AWS::ECS::TaskDefinition", name)["ContainerDefinitions"]![0]!;
            var variables = Environment(container);
            Assert.True(Refs.RefersTo(container["Environment"], database.Id));
            Assert.Contains("Database=menotime;Username=menotime_app;SSL Mode=Require", variables["ConnectionStrings__menotime"], StringComparison.Ordinal);
            Assert.Equal("587", variables["Email__Smtp__Port"]);
            Assert.Equal("true", variables["Email__Smtp__UseStartTls"]);
            Assert.Equal("MenoTime <noreply@timelessbiotech.com>", variables["Email__From"]);
            Assert.Equal("http://localhost:4318", variables["OTEL_EXPORTER_OTLP_ENDPOINT"]);
            Assert.False(variables.ContainsKey("AWS_ENDPOINT_URL"));
            var secrets = container["Secrets"]!.AsArray().Select(s => (string?)s!["Name"]).ToList();
            Assert.Contains("PGPASSWORD", secrets);
            Assert.Contains("Email__Smtp__Username", secrets);
            Assert.Contains("Email__Smtp__Password", secrets);
        }
    }

    [Theory]
    [MemberData(nameof(PublishedEnvironments.Names), MemberType = typeof(PublishedEnvironments))]
    public void App_resources_template_is_included_and_every_output_reaches_api_and_worker(string environment)
    {
        var template = published[environment].Environment;
        var runMode = Template.Load(Path.Combine(Projects.RepositoryLayout.Root, "MenoTime.AppHost", "aws", "app-resources.json"));

        foreach (var (id, resource) in runMode.Resources)
        {
            Assert.Equal((string?)resource!["Type"], (string?)template.Resources[id]?["Type"]);
        }

        Assert.Equal(environment, (string?)template.Root["Parameters"]!["EnvironmentName"]!["Default"]);
        foreach (var name in new[] { "ApiTask", "WorkerTask" })
        {
            var variables = template.Named("AWS::ECS::TaskDefinition", name)["ContainerDefinitions"]![0]!["Environment"]!.AsArray();
            foreach (var (key, output) in runMode.Outputs)
            {
                var variable = Assert.Single(variables, v => (string?)v!["Name"] == $"AWS__Resources__{key}")!;
                Assert.Equal(output!["Value"]!.ToJsonString(), variable["Value"]!.ToJsonString());
            }
        }
    }

    private static Dictionary<string, string> Environment(JsonNode container) =>
        container["Environment"]!.AsArray().ToDictionary(v => (string)v!["Name"]!, v => v!["Value"] is JsonValue s && s.TryGetValue<string>(out var text) ? text : Flatten(v!["Value"]), StringComparer.Ordinal);

    /// <summary>A Fn::Join of literals and references, as text with the references shown as ${…}.</summary>
    private static string Flatten(JsonNode? node) => node switch
    {
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        JsonObject o when o["Fn::Join"] is JsonArray join => string.Join((string?)join[0], join[1]!.AsArray().Select(Flatten)),
        JsonObject o => $"${{{o.First().Value!.ToJsonString()}}}",
        _ => "",
    };

    private static class Projects
    {
        public static class RepositoryLayout
        {
            public static string Root => Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", ".."));
        }
    }
}
