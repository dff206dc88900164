namespace MenoTime.Aws.FieldEncryption;

/// <summary>
/// Envelope encryption of one sensitive value (a clinical note's text, a symptom's free-text note): AES-256-GCM
/// under a data key from AWS KMS, stored as a self-describing blob (<see cref="EncryptedField"/>).
/// </summary>
/// <remarks>
/// The context names what the value belongs to, e.g. <c>clinical_notes.body:{noteId}</c>; it is
/// authenticated, not stored, so a blob copied into another row (another context) does not decrypt.
/// </remarks>
public interface IFieldEncryptor
{
    /// <summary>Encrypts <paramref name="plaintext"/> for <paramref name="context"/>.</summary>
    Task<byte[]> EncryptAsync(string plaintext, string context, CancellationToken cancellationToken = default);

    /// <summary>The plaintext of a blob made by <see cref="EncryptAsync"/> for the same context.</summary>
    /// <exception cref="FieldDecryptionException">Wrong context, altered blob, or a data key KMS will not decrypt.</exception>
    Task<string> DecryptAsync(byte[] blob, string context, CancellationToken cancellationToken = default);

    /// <summary>
    /// The same value with its data key re-wrapped by KMS (ReEncrypt) under the current key: after the key's
    /// rotation (newest key material) or a move to another key. The value itself is neither decrypted nor
    /// re-encrypted, and KMS never returns the data key in plaintext for it.
    /// </summary>
    Task<byte[]> RewrapAsync(byte[] blob, CancellationToken cancellationToken = default);

    /// <summary>The KMS key ARN new values are encrypted under.</summary>
    Task<string> GetCurrentKeyArnAsync(CancellationToken cancellationToken = default);

    /// <summary>Generates a data key and decrypts it again through KMS, bypassing the caches: proof the key works.</summary>
    Task<string> VerifyKeyAsync(CancellationToken cancellationToken = default);
}

public sealed class FieldDecryptionException(string message, Exception? innerException = null) : Exception(message, innerException);
