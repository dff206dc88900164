namespace MenoTime.AppHost.Hosting.Aws;

/// <summary>
/// Brings a stack to a template: create it, update it when the template hash (a stack tag) differs, or
/// leave it; waits until CloudFormation settles and explains a failure by its first failed resource.
/// </summary>
public sealed class StackProvisioner(CloudFormationClient client, string stackName, TimeSpan pollInterval, ResourceLog log, string source)
{
    private static readonly string[] Unrecoverable = ["ROLLBACK_COMPLETE", "ROLLBACK_FAILED", "CREATE_FAILED", "DELETE_FAILED"];
    private static readonly string[] Settled = ["CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE", "IMPORT_COMPLETE"];

    public async Task<IReadOnlyDictionary<string, string>> ProvisionAsync(
        string templateBody, IReadOnlyDictionary<string, string> parameters, IReadOnlyDictionary<string, string> tags, CancellationToken cancellationToken)
    {
        var stack = await client.DescribeStackAsync(stackName, cancellationToken);
        if (stack is not null && stack.Status.EndsWith("_IN_PROGRESS", StringComparison.Ordinal))
        {
            log.Write(source, $"stack {stackName} is busy ({stack.Status}); waiting for it");
            stack = await WaitAsync(cancellationToken);
        }

        if (stack is not null && Unrecoverable.Contains(stack.Status))
        {
            log.Write(source, $"stack {stackName} is {stack.Status} from an earlier failed attempt; deleting it first");
            await client.DeleteStackAsync(stackName, cancellationToken);
            stack = await WaitAsync(cancellationToken);
            if (stack is not null && stack.Status != "DELETE_COMPLETE")
            {
                throw new DistributedApplicationException($"{source}: stack {stackName} could not be deleted ({stack.Status}): {stack.StatusReason}");
            }

            stack = null;
        }

        var started = DateTimeOffset.UtcNow.AddSeconds(-5);
        var wantedHash = tags[CloudFormationStackResource.TemplateHashTag];
        if (stack is null)
        {
            log.Write(source, $"creating stack {stackName}");
            await client.CreateStackAsync(stackName, templateBody, parameters, tags, cancellationToken);
        }
        else if (stack.Tags.GetValueOrDefault(CloudFormationStackResource.TemplateHashTag) == wantedHash && Settled.Contains(stack.Status))
        {
            log.Write(source, $"stack {stackName} is up to date (template unchanged)");
            return stack.Outputs;
        }
        else
        {
            log.Write(source, $"updating stack {stackName} (the template changed)");
            if (!await client.UpdateStackAsync(stackName, templateBody, parameters, tags, cancellationToken))
            {
                return stack.Outputs;
            }
        }

        var final = await WaitAsync(cancellationToken)
            ?? throw new DistributedApplicationException($"{source}: stack {stackName} disappeared while it was being provisioned.");
        if (final.Status is not ("CREATE_COMPLETE" or "UPDATE_COMPLETE"))
        {
            throw new DistributedApplicationException($"{source}: stack {stackName} ended {final.Status}: {await ExplainFailureAsync(started, cancellationToken) ?? final.StatusReason}");
        }

        log.Write(source, $"stack {stackName} is {final.Status} with {final.Outputs.Count} outputs");
        return final.Outputs;
    }

    /// <summary>Polls until the stack is no longer in progress; null when it no longer exists.</summary>
    private async Task<StackSummary?> WaitAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var stack = await client.DescribeStackAsync(stackName, cancellationToken);
            if (stack is null || !stack.Status.EndsWith("_IN_PROGRESS", StringComparison.Ordinal))
            {
                return stack;
            }

            await Task.Delay(pollInterval, cancellationToken);
        }
    }

    /// <summary>The root cause: the earliest failed resource of this attempt, not the cancellations it caused.</summary>
    private async Task<string?> ExplainFailureAsync(DateTimeOffset since, CancellationToken cancellationToken)
    {
        var events = await client.DescribeStackEventsAsync(stackName, cancellationToken);
        var failure = events
            .Where(e => e.Timestamp >= since && e.Status.EndsWith("_FAILED", StringComparison.Ordinal) && e.LogicalResourceId != stackName)
            .Where(e => e.Reason is not null && !e.Reason.Contains("cancelled", StringComparison.OrdinalIgnoreCase))
            .OrderBy(e => e.Timestamp)
            .FirstOrDefault();
        return failure is null ? null : $"{failure.LogicalResourceId} ({failure.ResourceType}) {failure.Status}: {failure.Reason}";
    }
}
