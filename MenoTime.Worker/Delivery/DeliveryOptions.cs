namespace MenoTime.Worker.Delivery;

/// <summary>How the worker delivers the outbox: <c>Reminders__Delivery__*</c>.</summary>
public sealed class DeliveryOptions
{
    public const string Section = "Reminders:Delivery";

    /// <summary>Rows claimed per round trip.</summary>
    public int BatchSize { get; set; } = 100;

    /// <summary>SMTP exchanges one worker runs at once.</summary>
    public int Concurrency { get; set; } = 4;

    /// <summary>How long to wait before looking again when nothing was due.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long a claimed row belongs to its worker. A worker starts no send later than
    /// <c>Lease - Email:Smtp:Timeout</c> after the claim, so a live worker never outlasts its lease; when the lease
    /// expires the worker died or froze, and another worker takes the row back (see NotificationDispatch).
    /// </summary>
    public TimeSpan Lease { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Attempts (claims) before a row is dead-lettered.</summary>
    public int MaxAttempts { get; set; } = 8;

    /// <summary>Delay after the first failure; doubles with each further one, with jitter, up to <see cref="RetryMaxDelay"/>.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(30);

    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromHours(1);

    /// <summary>/health turns unhealthy when a due row has waited longer than this.</summary>
    public TimeSpan MaxLag { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The worker's name in lease_owner and the status history: heartbeat's instance id.</summary>
    public string InstanceId { get; set; } = "";
}

/// <summary>The configuration contract's email settings: <c>Email__Smtp__*</c>, <c>Email__From</c>, and links.</summary>
public sealed class EmailOptions
{
    public const string Section = "Email";

    public SmtpOptions Smtp { get; set; } = new();

    /// <summary>Sender, e.g. <c>MenoTime &lt;no-reply@menotime.example&gt;</c>.</summary>
    public string From { get; set; } = "";

    /// <summary>The patient portal the email links to. Default: the API's address (<c>services__api__http__0</c>).</summary>
    public string? PortalUrl { get; set; }

    /// <summary>Public base URL of the API, for the opt-out link. Default: <c>services__api__http__0</c>.</summary>
    public string? PublicApiUrl { get; set; }

    /// <summary>Base64 HMAC key that signs opt-out links; the API verifies with the same key.</summary>
    public string? UnsubscribeKey { get; set; }

    /// <summary>SES configuration set whose events (bounces, complaints) go to SNS; none locally.</summary>
    public string? ConfigurationSet { get; set; }
}

public sealed class SmtpOptions
{
    public string Host { get; set; } = "";

    public int Port { get; set; } = 587;

    public bool UseStartTls { get; set; } = true;

    public string? Username { get; set; }

    public string? Password { get; set; }

    /// <summary>Longest one SMTP exchange may take before it counts as a transient failure.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// A lane idle this long opens a new connection before its next message: below the idle timeouts of servers
    /// (MailDev 60 s) and of NAT gateways on the way to SES (350 s), so a reused connection is a live one.
    /// </summary>
    public TimeSpan IdleReconnect { get; set; } = TimeSpan.FromSeconds(15);
}
