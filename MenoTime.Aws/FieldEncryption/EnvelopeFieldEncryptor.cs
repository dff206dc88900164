using System.Security.Cryptography;
using System.Text;
using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using Microsoft.Extensions.Options;

namespace MenoTime.Aws.FieldEncryption;

/// <summary>
/// <see cref="IFieldEncryptor"/> over AWS KMS: one data key encrypts many values for a bounded time and number
/// of uses, so KMS is not called per value; decrypted data keys are cached, bounded in count and age.
/// Every KMS call carries the same encryption context, which CloudTrail records with it.
/// </summary>
public sealed class EnvelopeFieldEncryptor(IAmazonKeyManagementService kms, IOptions<FieldEncryptionOptions> options, TimeProvider clock) : IFieldEncryptor, IDisposable
{
    private static readonly Dictionary<string, string> KmsContext = new(StringComparer.Ordinal) { ["purpose"] = "menotime-field-encryption" };

    /// <summary>KMS answers that concern this one data key (not an outage): the value cannot be read by this service.</summary>
    private static readonly HashSet<string> RefusesThisDataKey = new(StringComparer.Ordinal)
    {
        "InvalidCiphertextException", "IncorrectKeyException", "NotFoundException", "AccessDeniedException",
        "DisabledException", "KMSInvalidStateException",
    };

    private readonly FieldEncryptionOptions _options = options.Value;
    private readonly SemaphoreSlim _dataKeyLock = new(1, 1);
    private readonly DecryptedKeyCache _decryptedKeys = new(options.Value.DecryptedKeyCapacity, options.Value.DecryptedKeyMaxAge, clock);
    private ActiveDataKey? _active;
    private string? _currentKeyArn;

    private string KeyId => _options.KeyId ?? throw new InvalidOperationException("No field encryption key is configured.");

    public async Task<byte[]> EncryptAsync(string plaintext, string context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(plaintext);
        ArgumentNullException.ThrowIfNull(context);
        var dataKey = await TakeDataKeyAsync(cancellationToken);
        var nonce = RandomNumberGenerator.GetBytes(EncryptedField.NonceSize);
        var clear = Encoding.UTF8.GetBytes(plaintext);
        var ciphertext = new byte[clear.Length];
        var tag = new byte[EncryptedField.TagSize];
        using (var aes = new AesGcm(dataKey.Plaintext, EncryptedField.TagSize))
        {
            aes.Encrypt(nonce, clear, ciphertext, tag, EncryptedField.AssociatedData(EncryptedField.CurrentFormatVersion, context));
        }

        CryptographicOperations.ZeroMemory(clear);
        return new EncryptedField(EncryptedField.CurrentFormatVersion, dataKey.KeyArn, dataKey.Wrapped, nonce, tag, ciphertext).ToBytes();
    }

    public async Task<string> DecryptAsync(byte[] blob, string context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(blob);
        ArgumentNullException.ThrowIfNull(context);
        var field = EncryptedField.Parse(blob);
        var key = await UnwrapAsync(field, cancellationToken);
        var clear = new byte[field.Ciphertext.Length];
        try
        {
            using var aes = new AesGcm(key, EncryptedField.TagSize);
            aes.Decrypt(field.Nonce, field.Ciphertext, field.Tag, clear, EncryptedField.AssociatedData(field.FormatVersion, context));
            return Encoding.UTF8.GetString(clear);
        }
        catch (AuthenticationTagMismatchException e)
        {
            throw new FieldDecryptionException("The encrypted field does not belong to this context or was altered.", e);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(clear);
        }
    }

    public async Task<byte[]> RewrapAsync(byte[] blob, CancellationToken cancellationToken = default)
    {
        var field = EncryptedField.Parse(blob);
        ReEncryptResponse response;
        try
        {
            response = await kms.ReEncryptAsync(new ReEncryptRequest
            {
                CiphertextBlob = new MemoryStream(field.WrappedDataKey),
                SourceKeyId = field.KeyArn,
                SourceEncryptionContext = KmsContext,
                DestinationKeyId = KeyId,
                DestinationEncryptionContext = KmsContext,
            }, cancellationToken);
        }
        catch (AmazonKeyManagementServiceException e) when (RefusesThisDataKey.Contains(e.ErrorCode))
        {
            throw new FieldDecryptionException($"KMS would not re-wrap the data key of this field ({e.ErrorCode}).", e);
        }

        return (field with { KeyArn = response.KeyId, WrappedDataKey = response.CiphertextBlob.ToArray() }).ToBytes();
    }

    public async Task<string> GetCurrentKeyArnAsync(CancellationToken cancellationToken = default)
    {
        if (_currentKeyArn is null)
        {
            var described = await kms.DescribeKeyAsync(new DescribeKeyRequest { KeyId = KeyId }, cancellationToken);
            _currentKeyArn = described.KeyMetadata.Arn;
        }

        return _currentKeyArn;
    }

    public async Task<string> VerifyKeyAsync(CancellationToken cancellationToken = default)
    {
        var generated = await kms.GenerateDataKeyAsync(new GenerateDataKeyRequest { KeyId = KeyId, KeySpec = DataKeySpec.AES_256, EncryptionContext = KmsContext }, cancellationToken);
        var decrypted = await kms.DecryptAsync(new DecryptRequest { CiphertextBlob = generated.CiphertextBlob, KeyId = generated.KeyId, EncryptionContext = KmsContext }, cancellationToken);
        var same = CryptographicOperations.FixedTimeEquals(generated.Plaintext.ToArray(), decrypted.Plaintext.ToArray());
        CryptographicOperations.ZeroMemory(generated.Plaintext.GetBuffer());
        CryptographicOperations.ZeroMemory(decrypted.Plaintext.GetBuffer());
        return same ? generated.KeyId : throw new CryptographicException("KMS decrypted a data key to something else than it generated.");
    }

    public void Dispose()
    {
        _dataKeyLock.Dispose();
        _decryptedKeys.Clear();
    }

    /// <summary>The current data key, replaced once it is too old or used up; one KMS call at a time.</summary>
    private async Task<ActiveDataKey> TakeDataKeyAsync(CancellationToken cancellationToken)
    {
        await _dataKeyLock.WaitAsync(cancellationToken);
        try
        {
            var now = clock.GetUtcNow();
            if (_active is null || _active.Uses >= _options.DataKeyMaxUses || now - _active.CreatedAt >= _options.DataKeyMaxAge)
            {
                var response = await kms.GenerateDataKeyAsync(new GenerateDataKeyRequest { KeyId = KeyId, KeySpec = DataKeySpec.AES_256, EncryptionContext = KmsContext }, cancellationToken);
                _active = new ActiveDataKey(response.Plaintext.ToArray(), response.CiphertextBlob.ToArray(), response.KeyId, now);
                CryptographicOperations.ZeroMemory(response.Plaintext.GetBuffer());
                _currentKeyArn = response.KeyId;
            }

            _active.Uses++;
            return _active;
        }
        finally
        {
            _dataKeyLock.Release();
        }
    }

    private async Task<byte[]> UnwrapAsync(EncryptedField field, CancellationToken cancellationToken)
    {
        if (_active is { } active && active.Wrapped.AsSpan().SequenceEqual(field.WrappedDataKey))
        {
            return active.Plaintext;
        }

        if (_decryptedKeys.TryGet(field.WrappedDataKey, out var cached))
        {
            return cached;
        }

        DecryptResponse response;
        try
        {
            response = await kms.DecryptAsync(new DecryptRequest { CiphertextBlob = new MemoryStream(field.WrappedDataKey), KeyId = field.KeyArn, EncryptionContext = KmsContext }, cancellationToken);
        }
        catch (AmazonKeyManagementServiceException e) when (RefusesThisDataKey.Contains(e.ErrorCode))
        {
            throw new FieldDecryptionException($"KMS would not decrypt the data key of this field ({e.ErrorCode}).", e);
        }

        var key = response.Plaintext.ToArray();
        CryptographicOperations.ZeroMemory(response.Plaintext.GetBuffer());
        _decryptedKeys.Add(field.WrappedDataKey, key);
        return key;
    }

    private sealed class ActiveDataKey(byte[] plaintext, byte[] wrapped, string keyArn, DateTimeOffset createdAt)
    {
        public byte[] Plaintext { get; } = plaintext;

        public byte[] Wrapped { get; } = wrapped;

        public string KeyArn { get; } = keyArn;

        public DateTimeOffset CreatedAt { get; } = createdAt;

        public int Uses { get; set; }
    }
}
