namespace MenoTime.Aws.FieldEncryption;

/// <summary>Section <c>FieldEncryption</c>; the key defaults to the app-resources stack's output.</summary>
public sealed class FieldEncryptionOptions
{
    public const string Section = "FieldEncryption";

    /// <summary>KMS key (ARN, id or alias) new values are encrypted under; default AWS__Resources__FieldEncryptionKeyArn.</summary>
    public string? KeyId { get; set; }

    /// <summary>How long one data key encrypts new values before KMS is asked for another.</summary>
    public TimeSpan DataKeyMaxAge { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How many values one data key encrypts at most (far below AES-GCM's random-nonce limit).</summary>
    public int DataKeyMaxUses { get; set; } = 10_000;

    /// <summary>How long a data key KMS decrypted is kept for further reads.</summary>
    public TimeSpan DecryptedKeyMaxAge { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How many decrypted data keys are kept at most.</summary>
    public int DecryptedKeyCapacity { get; set; } = 1_000;
}
