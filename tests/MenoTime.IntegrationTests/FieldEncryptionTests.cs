using System.Text;
using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using MenoTime.AppHost.Hosting.Aws;
using MenoTime.Aws.FieldEncryption;
using Microsoft.Extensions.Options;

namespace MenoTime.IntegrationTests;

/// <summary>Envelope encryption of sensitive fields against moto's KMS, with the key of the graph's stack.</summary>
public sealed class FieldEncryptionTests(MenoTimeGraph graph) : IDisposable
{
    private const string Note = "Hot flushes 6/day; started estradiol 1 mg; sleeps badly since March.";
    private readonly AmazonKeyManagementServiceClient _kms = AwsResourcesTests.CreateKmsClient(graph);
    private readonly ManualClock _clock = new(new DateTimeOffset(2026, 11, 1, 9, 0, 0, TimeSpan.Zero));

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private string StackKeyArn => ((CloudFormationStackResource)graph.App.GetResource("aws")).Outputs["FieldEncryptionKeyArn"];

    public void Dispose() => _kms.Dispose();

    [Fact]
    public async Task A_value_round_trips_and_its_blob_names_the_stack_key_without_the_plaintext()
    {
        var (encryptor, _) = CreateEncryptor();

        var blob = await encryptor.EncryptAsync(Note, "clinical_notes.body:1", Cancellation);
        var field = EncryptedField.Parse(blob);

        Assert.Equal(Note, await encryptor.DecryptAsync(blob, "clinical_notes.body:1", Cancellation));
        Assert.Equal(StackKeyArn, field.KeyArn);
        Assert.Equal(EncryptedField.CurrentFormatVersion, field.FormatVersion);
        Assert.Equal(-1, blob.AsSpan().IndexOf(Encoding.UTF8.GetBytes("estradiol")));
        Assert.NotEqual(blob, await encryptor.EncryptAsync(Note, "clinical_notes.body:1", Cancellation));
    }

    [Fact]
    public async Task A_value_from_another_row_does_not_decrypt()
    {
        var (encryptor, _) = CreateEncryptor();
        var blob = await encryptor.EncryptAsync(Note, "clinical_notes.body:1", Cancellation);

        await Assert.ThrowsAsync<FieldDecryptionException>(() => encryptor.DecryptAsync(blob, "clinical_notes.body:2", Cancellation));
    }

    [Fact]
    public async Task An_altered_value_does_not_decrypt()
    {
        var (encryptor, _) = CreateEncryptor();
        var blob = await encryptor.EncryptAsync(Note, "symptoms.note:7", Cancellation);
        blob[^1] ^= 0x01;

        await Assert.ThrowsAsync<FieldDecryptionException>(() => encryptor.DecryptAsync(blob, "symptoms.note:7", Cancellation));
    }

    [Fact]
    public async Task A_data_key_serves_a_bounded_number_of_values()
    {
        var (encryptor, calls) = CreateEncryptor(o => o.DataKeyMaxUses = 3);

        var blobs = new List<byte[]>();
        for (var i = 0; i < 7; i++)
        {
            blobs.Add(await encryptor.EncryptAsync($"note {i}", $"n:{i}", Cancellation));
        }

        var wrappedKeys = blobs.Select(b => Convert.ToBase64String(EncryptedField.Parse(b).WrappedDataKey)).ToList();
        Assert.Equal(3, calls.Count("GenerateDataKey"));
        Assert.Equal(3, wrappedKeys.Distinct().Count());
        Assert.Single(wrappedKeys.Take(3).Distinct());
    }

    [Fact]
    public async Task A_data_key_serves_for_a_bounded_time()
    {
        var (encryptor, calls) = CreateEncryptor(o => o.DataKeyMaxAge = TimeSpan.FromMinutes(5));

        var first = await encryptor.EncryptAsync("a", "n:1", Cancellation);
        _clock.Advance(TimeSpan.FromMinutes(4));
        var second = await encryptor.EncryptAsync("b", "n:2", Cancellation);
        _clock.Advance(TimeSpan.FromMinutes(1));
        var third = await encryptor.EncryptAsync("c", "n:3", Cancellation);

        Assert.Equal(EncryptedField.Parse(first).WrappedDataKey, EncryptedField.Parse(second).WrappedDataKey);
        Assert.NotEqual(EncryptedField.Parse(second).WrappedDataKey, EncryptedField.Parse(third).WrappedDataKey);
        Assert.Equal(2, calls.Count("GenerateDataKey"));
    }

    [Fact]
    public async Task Reading_many_values_under_one_data_key_asks_kms_once_until_the_cache_entry_expires()
    {
        var (writer, _) = CreateEncryptor();
        var blobs = new List<byte[]>();
        for (var i = 0; i < 20; i++)
        {
            blobs.Add(await writer.EncryptAsync($"note {i}", $"n:{i}", Cancellation));
        }

        var (reader, calls) = CreateEncryptor(o => o.DecryptedKeyMaxAge = TimeSpan.FromMinutes(5));
        for (var i = 0; i < 20; i++)
        {
            Assert.Equal($"note {i}", await reader.DecryptAsync(blobs[i], $"n:{i}", Cancellation));
        }

        Assert.Equal(1, calls.Count("Decrypt"));
        _clock.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal("note 0", await reader.DecryptAsync(blobs[0], "n:0", Cancellation));
        Assert.Equal(2, calls.Count("Decrypt"));
    }

    [Fact]
    public async Task The_decrypted_key_cache_holds_a_bounded_number_of_keys()
    {
        var (writer, _) = CreateEncryptor(o => o.DataKeyMaxUses = 1);
        var blobs = new List<byte[]>();
        for (var i = 0; i < 3; i++)
        {
            blobs.Add(await writer.EncryptAsync($"note {i}", $"n:{i}", Cancellation));
        }

        var (reader, calls) = CreateEncryptor(o => o.DecryptedKeyCapacity = 2);
        foreach (var i in new[] { 0, 1, 2, 2, 1, 0 })
        {
            _clock.Advance(TimeSpan.FromSeconds(1));
            Assert.Equal($"note {i}", await reader.DecryptAsync(blobs[i], $"n:{i}", Cancellation));
        }

        // 0, 1, 2 are three misses; 2 and 1 are still cached; 0 was evicted when 2 came in.
        Assert.Equal(4, calls.Count("Decrypt"));
    }

    [Fact]
    public async Task Rewrap_moves_a_value_to_a_new_key_without_touching_its_ciphertext()
    {
        var (encryptor, _) = CreateEncryptor();
        var blob = await encryptor.EncryptAsync(Note, "clinical_notes.body:9", Cancellation);
        var newKey = await _kms.CreateKeyAsync(new CreateKeyRequest { Description = "rotation target (test)" }, Cancellation);
        var (rotated, _) = CreateEncryptor(o => o.KeyId = newKey.KeyMetadata.Arn);

        var rewrapped = await rotated.RewrapAsync(blob, Cancellation);

        var before = EncryptedField.Parse(blob);
        var after = EncryptedField.Parse(rewrapped);
        Assert.Equal(newKey.KeyMetadata.Arn, after.KeyArn);
        Assert.NotEqual(before.WrappedDataKey, after.WrappedDataKey);
        Assert.Equal(before.Ciphertext, after.Ciphertext);
        Assert.Equal(before.Nonce, after.Nonce);
        Assert.Equal(Note, await rotated.DecryptAsync(rewrapped, "clinical_notes.body:9", Cancellation));
        Assert.Equal(newKey.KeyMetadata.Arn, await rotated.GetCurrentKeyArnAsync(Cancellation));
    }

    [Fact]
    public async Task A_value_whose_data_key_kms_cannot_decrypt_is_a_decryption_error()
    {
        var (encryptor, _) = CreateEncryptor();
        var field = EncryptedField.Parse(await encryptor.EncryptAsync(Note, "n:1", Cancellation));
        var forged = (field with { WrappedDataKey = [.. field.WrappedDataKey.Select(b => (byte)(b ^ 0x5a))] }).ToBytes();

        var (reader, _) = CreateEncryptor();
        await Assert.ThrowsAsync<FieldDecryptionException>(() => reader.DecryptAsync(forged, "n:1", Cancellation));
    }

    private (EnvelopeFieldEncryptor Encryptor, KmsCallCounter Calls) CreateEncryptor(Action<FieldEncryptionOptions>? configure = null)
    {
        var options = new FieldEncryptionOptions { KeyId = StackKeyArn };
        configure?.Invoke(options);
        var (client, counter) = KmsCallCounter.Wrap(_kms);
        return (new EnvelopeFieldEncryptor(client, Options.Create(options), _clock), counter);
    }
}
