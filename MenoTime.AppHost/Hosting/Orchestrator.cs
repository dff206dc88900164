using System.Net;
using System.Net.Sockets;

namespace MenoTime.AppHost.Hosting;

/// <summary>
/// Starts the resources of an application as soon as what they wait for is ready, watches their health,
/// and stops them in reverse dependency order. Developer tooling: in AWS, ECS does this job.
/// </summary>
internal sealed class Orchestrator(DistributedApplication app) : IDisposable
{
    private static readonly TimeSpan StartupProbeInterval = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan MonitorProbeInterval = TimeSpan.FromSeconds(5);

    private readonly Dictionary<Resource, ResourceRun> _runs = [];
    private readonly CancellationTokenSource _monitoring = new();
    private readonly HashSet<int> _allocatedPorts = [];
    private readonly Lock _lock = new();
    // One stop or restart of a single instance at a time (the dashboard's buttons): simple to reason about.
    private readonly SemaphoreSlim _instanceOperation = new(1, 1);
    private volatile bool _started;

    /// <summary>True once any resource got past validation: from then on there may be something to stop.</summary>
    public bool HasStarted => _runs.Count > 0;

    public IReadOnlyList<ResourceInstance> GetInstances(Resource resource) =>
        _runs.TryGetValue(resource, out var run) ? run.Instances : [];

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        ResourceGraph.Validate(app.Resources);
        var missing = app.Resources.SelectMany(r => r.MissingPrerequisites(app.Options)).ToList();
        if (missing.Count > 0)
        {
            throw new DistributedApplicationException(string.Join('\n', missing));
        }

        foreach (var resource in app.Resources)
        {
            _runs[resource] = new ResourceRun(resource, CreateInstances(resource), app.GetLog(resource.Name));
        }

        using var startup = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        startup.CancelAfter(app.Options.StartupTimeout);
        var starting = _runs.Values.Select(run => StartResourceAsync(run, startup.Token)).ToList();
        var pending = starting.ToList();
        while (pending.Count > 0)
        {
            var finished = await Task.WhenAny(pending);
            pending.Remove(finished);
            if (finished.IsFaulted || finished.IsCanceled)
            {
                await startup.CancelAsync();
                // Let every start settle (each observes the cancellation) before the caller stops what did start.
                await Task.WhenAll(starting.Select(t => t.ContinueWith(settled => _ = settled.Exception, TaskScheduler.Default)));
                throw StartupFailure(finished, cancellationToken);
            }
        }

        foreach (var run in _runs.Values)
        {
            _ = MonitorAsync(run, _monitoring.Token);
        }

        _started = true;
    }

    /// <summary>Stops every resource after everything that depends on it has stopped.</summary>
    public async Task StopAsync()
    {
        await _monitoring.CancelAsync();
        if (_runs.Count == 0)
        {
            return; // Nothing started (the graph may not even be valid).
        }

        var stopping = new Dictionary<Resource, Task>();
        Task Stop(Resource resource)
        {
            lock (stopping)
            {
                if (!stopping.TryGetValue(resource, out var task))
                {
                    var dependents = ResourceGraph.DependentsOf(resource, app.Resources).Select(Stop).ToList();
                    task = StopAfterAsync(resource, dependents);
                    stopping[resource] = task;
                }

                return task;
            }
        }

        await Task.WhenAll(app.Resources.Select(Stop));
    }

    public void Dispose()
    {
        _monitoring.Dispose();
        _instanceOperation.Dispose();
    }

    /// <summary>Stops one instance; what depends on it keeps running (and sees it gone, as in production).</summary>
    public async Task StopInstanceAsync(ResourceInstance instance)
    {
        var (run, executable) = FindOperable(instance);
        await _instanceOperation.WaitAsync();
        try
        {
            ThrowIfNotRunning();
            await StopInstanceCoreAsync(run, executable, instance);
        }
        finally
        {
            _instanceOperation.Release();
        }
    }

    /// <summary>
    /// Stops one instance if it runs, then starts it again with the same command line, ports and configuration,
    /// and waits until it is healthy again (or, for a run-to-completion step, finished with exit code 0).
    /// </summary>
    public async Task RestartInstanceAsync(ResourceInstance instance, CancellationToken cancellationToken)
    {
        var (run, executable) = FindOperable(instance);
        await _instanceOperation.WaitAsync(cancellationToken);
        try
        {
            ThrowIfNotRunning();
            await StopInstanceCoreAsync(run, executable, instance);
            run.Log.Write(instance.Name, "restarting");
            instance.Restarts++;
            instance.ExitCode = null;
            instance.HealthDescription = null;
            StartProcess(executable, instance, run);
        }
        finally
        {
            _instanceOperation.Release();
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _monitoring.Token);
        timeout.CancelAfter(app.Options.StartupTimeout);
        if (ResourceGraph.RunsToCompletion(executable, app.Resources))
        {
            var exitCode = await instance.Process!.WaitForExitAsync().WaitAsync(timeout.Token);
            if (exitCode != 0)
            {
                throw new DistributedApplicationException($"{instance.Name} exited with code {exitCode}:\n{run.Log.Tail()}");
            }
        }
        else
        {
            await WaitHealthyAsync(run, instance, timeout.Token);
        }
    }

    private (ResourceRun Run, ExecutableResource Executable) FindOperable(ResourceInstance instance)
    {
        if (!_runs.TryGetValue(instance.Resource, out var run) || !run.Instances.Contains(instance))
        {
            throw new InvalidOperationException($"{instance.Name} is not an instance of this running application.");
        }

        return instance.Resource is ExecutableResource { RunsProcess: true } executable && instance.Process is not null
            ? (run, executable)
            : throw new DistributedApplicationException($"{instance.Name} has no process of its own here: there is nothing to stop or restart.");
    }

    private void ThrowIfNotRunning()
    {
        if (!_started)
        {
            throw new DistributedApplicationException("The application is still starting: wait until everything is up.");
        }

        if (_monitoring.IsCancellationRequested)
        {
            throw new DistributedApplicationException("The application is stopping.");
        }
    }

    private async Task StopInstanceCoreAsync(ResourceRun run, ExecutableResource executable, ResourceInstance instance)
    {
        if (instance.Process!.Exited.IsCompleted)
        {
            return;
        }

        instance.State = ResourceState.Stopping;
        instance.ExitCode = await instance.Process.StopAsync(executable.StopSignal, app.Options.StopTimeout);
        instance.State = ResourceState.Stopped;
        run.Log.Write(instance.Name, $"stopped (exit code {instance.ExitCode})");
    }

    /// <summary>SIGKILL to one instance's process group, as a crash would: no stop signal, no clean-up.</summary>
    public async Task KillInstanceAsync(ResourceInstance instance)
    {
        FindOperable(instance);
        instance.Process!.Kill();
        await instance.Process.WaitForExitAsync();
    }

    /// <summary>Starts a stopped or exited instance again (same ports and configuration); returns once healthy.</summary>
    public async Task StartInstanceAsync(ResourceInstance instance, CancellationToken cancellationToken)
    {
        FindOperable(instance);
        if (instance.Process is { Exited.IsCompleted: false })
        {
            throw new InvalidOperationException($"{instance.Name} is still running.");
        }

        await RestartInstanceAsync(instance, cancellationToken);
    }

    /// <summary>Last resort when the host is killed: no graceful stop, but no orphans either.</summary>
    public void KillAll()
    {
        foreach (var instance in _runs.Values.SelectMany(run => run.Instances))
        {
            instance.Process?.Kill();
        }
    }

    private async Task StopAfterAsync(Resource resource, List<Task> dependents)
    {
        await Task.WhenAll(dependents);
        if (!_runs.TryGetValue(resource, out var run) || resource is not ExecutableResource executable)
        {
            return;
        }

        await Task.WhenAll(run.Instances.Where(i => i.Process is not null).Select(async instance =>
        {
            var wasRunning = !instance.Process!.Exited.IsCompleted;
            instance.State = ResourceState.Stopping;
            instance.ExitCode = await instance.Process.StopAsync(executable.StopSignal, app.Options.StopTimeout);
            instance.State = ResourceState.Stopped;
            if (wasRunning)
            {
                run.Log.Write(instance.Name, $"stopped (exit code {instance.ExitCode})");
            }
        }));
    }

    private async Task StartResourceAsync(ResourceRun run, CancellationToken cancellationToken)
    {
        try
        {
            await WaitForDependenciesAsync(run, cancellationToken);
            SetState(run, ResourceState.Starting);
            var context = new ResourceContext(app, run.Log);
            foreach (var hook in run.Resource.BeforeStart)
            {
                await hook(context, cancellationToken);
            }

            if (run.Resource is ExecutableResource { RunsProcess: true } executable)
            {
                foreach (var instance in run.Instances)
                {
                    Launch(executable, instance, run);
                }
            }
            else
            {
                SetState(run, ResourceState.Running);
            }

            if (ResourceGraph.RunsToCompletion(run.Resource, app.Resources))
            {
                // WaitForExitAsync also collects the last lines, which often say why it failed.
                var exitCode = await run.Instances[0].Process!.WaitForExitAsync().WaitAsync(cancellationToken);
                run.Completed.TrySetResult(exitCode);
                if (exitCode != 0)
                {
                    throw new DistributedApplicationException($"{run.Resource.Name} exited with code {exitCode}:\n{run.Log.Tail()}");
                }
            }
            else
            {
                await Task.WhenAll(run.Instances.Select(instance => WaitHealthyAsync(run, instance, cancellationToken)));
            }

            run.Ready.TrySetResult();
        }
        catch (Exception e)
        {
            SetState(run, ResourceState.FailedToStart, onlyIfNotExited: true);
            run.Ready.TrySetException(e);
            run.Completed.TrySetException(e);
            throw;
        }
    }

    private async Task WaitForDependenciesAsync(ResourceRun run, CancellationToken cancellationToken)
    {
        if (run.Resource.WaitsFor.Count > 0)
        {
            SetState(run, ResourceState.Waiting);
        }

        foreach (var dependency in run.Resource.WaitsFor)
        {
            var other = _runs[dependency.Resource];
            try
            {
                if (dependency.Behavior == WaitBehavior.Completed)
                {
                    var exitCode = await other.Completed.Task.WaitAsync(cancellationToken);
                    if (exitCode != 0)
                    {
                        throw new DependencyFailedException();
                    }
                }
                else
                {
                    await other.Ready.Task.WaitAsync(cancellationToken);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                throw new DependencyFailedException();
            }
        }
    }

    private void Launch(ExecutableResource executable, ResourceInstance instance, ResourceRun run)
    {
        instance.Environment = executable.GetEnvironment(app, instance);
        StartProcess(executable, instance, run);
    }

    /// <summary>Starts the instance's process with the configuration it already has (first start or restart).</summary>
    private void StartProcess(ExecutableResource executable, ResourceInstance instance, ResourceRun run)
    {
        // The restart count tells this process's exit from that of the process a restart replaced.
        var generation = instance.Restarts;
        instance.State = ResourceState.Running;
        instance.StartedAt = DateTimeOffset.UtcNow;
        try
        {
            instance.Process = ResourceProcess.Start(
                executable.Command,
                executable.GetArguments(instance),
                executable.WorkingDirectory,
                instance.Environment,
                executable.RunAsUser,
                (line, isError) => run.Log.Write(instance.Name, line, isError),
                exitCode => OnExited(executable, instance, run, generation, exitCode));
        }
        catch
        {
            instance.State = ResourceState.FailedToStart;
            throw;
        }
    }

    /// <summary>Runs as the process exits, before anything awaiting the exit resumes: the state is final by then.</summary>
    private void OnExited(ExecutableResource executable, ResourceInstance instance, ResourceRun run, int generation, int exitCode)
    {
        if (instance.Restarts != generation || instance.State is ResourceState.Stopping or ResourceState.Stopped)
        {
            return; // Replaced by a restart, or asked to stop (whoever stops it records the exit code).
        }

        instance.ExitCode = exitCode;
        instance.State = exitCode == 0 && ResourceGraph.RunsToCompletion(executable, app.Resources) ? ResourceState.Finished : ResourceState.Exited;
        run.Log.Write(instance.Name, $"exited with code {exitCode}", isError: exitCode != 0);
    }

    private async Task WaitHealthyAsync(ResourceRun run, ResourceInstance instance, CancellationToken cancellationToken)
    {
        while (true)
        {
            if (instance.Process is { Exited.IsCompleted: true } process)
            {
                var exitCode = await process.WaitForExitAsync();
                throw new DistributedApplicationException(
                    $"{instance.Name} exited with code {exitCode} before it was healthy:\n{run.Log.Tail()}");
            }

            HealthResult result;
            try
            {
                result = run.Resource.HealthProbe is null
                    ? HealthResult.Healthy()
                    : await run.Resource.HealthProbe.CheckAsync(app, instance, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException(
                    $"{instance.Name} was not healthy within {app.Options.StartupTimeout.TotalSeconds:F0} s " +
                    $"(last check: {instance.HealthDescription ?? "none"}):\n{run.Log.Tail()}");
            }

            instance.HealthDescription = result.Description;
            if (result.Status == HealthStatus.Healthy)
            {
                instance.State = ResourceState.Healthy;
                return;
            }

            try
            {
                await Task.Delay(StartupProbeInterval, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException(
                    $"{instance.Name} was not healthy within {app.Options.StartupTimeout.TotalSeconds:F0} s " +
                    $"(last check: {result.Description}):\n{run.Log.Tail()}");
            }
        }
    }

    /// <summary>Keeps each healthy instance's state current and says so when it changes.</summary>
    private async Task MonitorAsync(ResourceRun run, CancellationToken cancellationToken)
    {
        if (run.Resource.HealthProbe is not { } probe)
        {
            return;
        }

        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(MonitorProbeInterval, cancellationToken);
                foreach (var instance in run.Instances.Where(i => i.State is ResourceState.Healthy or ResourceState.Unhealthy))
                {
                    var result = await probe.CheckAsync(app, instance, cancellationToken);
                    var state = result.Status == HealthStatus.Healthy ? ResourceState.Healthy : ResourceState.Unhealthy;
                    if (state != instance.State && instance.State is ResourceState.Healthy or ResourceState.Unhealthy)
                    {
                        run.Log.Write(instance.Name, $"now {state.ToString().ToLowerInvariant()}: {result.Description}", state == ResourceState.Unhealthy);
                        instance.State = state;
                    }

                    instance.HealthDescription = result.Description;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The application is stopping.
        }
    }

    private List<ResourceInstance> CreateInstances(Resource resource)
    {
        if (resource is not ExecutableResource executable)
        {
            return [new ResourceInstance(resource, 0, resource.Name)];
        }

        if (executable.Replicas < 1)
        {
            throw new DistributedApplicationException($"{resource.Name}: replicas must be at least 1 (got {executable.Replicas}).");
        }

        var instances = Enumerable.Range(0, executable.Replicas)
            .Select(i => new ResourceInstance(resource, i, executable.Replicas == 1 ? resource.Name : $"{resource.Name}-{i}"))
            .ToList();
        foreach (var endpoint in executable.Endpoints)
        {
            var fixedPort = app.Options.IsTesting ? null : endpoint.Port;
            if (fixedPort is not null && instances.Count > 1)
            {
                throw new DistributedApplicationException(
                    $"{resource.Name}: {instances.Count} replicas cannot share the fixed port {fixedPort} of endpoint '{endpoint.Name}'.");
            }

            foreach (var instance in instances)
            {
                instance.Ports[endpoint.Name] = fixedPort is { } port ? ClaimPort(resource, endpoint, port) : FreePort();
            }
        }

        return instances;
    }

    private int ClaimPort(Resource resource, EndpointAnnotation endpoint, int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
        }
        catch (SocketException)
        {
            throw new DistributedApplicationException(
                $"{resource.Name}: port {port} ({endpoint.Name}) on {EndpointAnnotation.Host} is already in use. " +
                "Stop what uses it (another MenoTime?) or choose another port (README.md, 'Configuration').");
        }

        lock (_lock)
        {
            _allocatedPorts.Add(port);
        }

        return port;
    }

    private int FreePort()
    {
        while (true)
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            lock (_lock)
            {
                if (_allocatedPorts.Add(port))
                {
                    return port;
                }
            }
        }
    }

    private static void SetState(ResourceRun run, ResourceState state, bool onlyIfNotExited = false)
    {
        foreach (var instance in run.Instances)
        {
            if (!onlyIfNotExited || instance.State is not (ResourceState.Exited or ResourceState.Finished))
            {
                instance.State = state;
            }
        }
    }

    private Exception StartupFailure(Task failed, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return new OperationCanceledException("Start-up was cancelled.", cancellationToken);
        }

        // The first failure that is not just "a dependency failed" or "stopped waiting" names the resource to look at.
        var first = _runs.Values
            .Select(run => run.Ready.Task)
            .Where(t => t.IsFaulted)
            .Select(t => t.Exception!.InnerException!)
            .FirstOrDefault(e => e is not (DependencyFailedException or OperationCanceledException));
        if (first is null)
        {
            var waiting = _runs.Values.Where(run => !run.Ready.Task.IsCompletedSuccessfully)
                .Select(run => $"{run.Resource.Name} ({string.Join(", ", run.Instances.Select(i => i.State).Distinct())})");
            return new DistributedApplicationException(
                $"Start-up did not finish within {app.Options.StartupTimeout.TotalSeconds:F0} s; not ready: {string.Join(", ", waiting)}.",
                failed.Exception);
        }

        return first as DistributedApplicationException ?? new DistributedApplicationException(first.Message, first);
    }

    private sealed class ResourceRun(Resource resource, List<ResourceInstance> instances, ResourceLog log)
    {
        public Resource Resource { get; } = resource;

        public List<ResourceInstance> Instances { get; } = instances;

        public ResourceLog Log { get; } = log;

        /// <summary>Healthy (long-running resources) or finished with 0 (run-to-completion ones).</summary>
        public TaskCompletionSource Ready { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource<int> Completed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>Raised in a resource whose dependency failed; the dependency's own error is the one reported.</summary>
    private sealed class DependencyFailedException : Exception;
}
