using System.Collections.Concurrent;
using System.Reflection;
using Amazon.KeyManagementService;

namespace MenoTime.IntegrationTests;

/// <summary>
/// The real KMS client (moto's KMS behind it), counting the calls made through it: how the tests see that
/// data keys are cached without mocking KMS.
/// </summary>
public class KmsCallCounter : DispatchProxy
{
    private IAmazonKeyManagementService _inner = null!;

    public ConcurrentDictionary<string, int> Calls { get; } = new(StringComparer.Ordinal);

    public static (IAmazonKeyManagementService Client, KmsCallCounter Counter) Wrap(IAmazonKeyManagementService inner)
    {
        var proxy = Create<IAmazonKeyManagementService, KmsCallCounter>();
        var counter = (KmsCallCounter)(object)proxy;
        counter._inner = inner;
        return (proxy, counter);
    }

    public int Count(string operation) => Calls.GetValueOrDefault(operation + "Async");

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        ArgumentNullException.ThrowIfNull(targetMethod);
        Calls.AddOrUpdate(targetMethod.Name, 1, (_, count) => count + 1);
        try
        {
            return targetMethod.Invoke(_inner, args);
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerException).Throw();
            throw;
        }
    }
}

/// <summary>A clock the test moves by hand.</summary>
public sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}
