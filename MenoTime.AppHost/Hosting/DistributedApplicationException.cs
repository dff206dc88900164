namespace MenoTime.AppHost.Hosting;

/// <summary>A failure the host explains in words to the person who ran it: what, which resource, what to do.</summary>
public sealed class DistributedApplicationException(string message, Exception? innerException = null)
    : Exception(message, innerException);
