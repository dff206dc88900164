using System.Buffers.Binary;
using System.Text;

namespace MenoTime.Aws.FieldEncryption;

/// <summary>
/// The stored form of an encrypted value, self-describing so that any later build can decrypt it:
/// <code>
/// "MTF" | format version (1 byte) | key ARN length (2 bytes, big endian) | KMS key ARN (UTF-8)
///       | wrapped data key length (2 bytes) | wrapped data key (KMS ciphertext blob)
///       | nonce (12 bytes) | tag (16 bytes) | AES-256-GCM ciphertext
/// </code>
/// The KMS ciphertext blob itself records which version of the key's material wrapped the data key, so
/// values written before an automatic annual rotation still decrypt. The additional authenticated data is the
/// magic, the format version and the caller's context; the key ARN and wrapped key are not in it, so that
/// re-wrapping changes them without touching the ciphertext.
/// </summary>
public sealed record EncryptedField(byte FormatVersion, string KeyArn, byte[] WrappedDataKey, byte[] Nonce, byte[] Tag, byte[] Ciphertext)
{
    public const byte CurrentFormatVersion = 1;
    public const int NonceSize = 12;
    public const int TagSize = 16;
    private static readonly byte[] Magic = "MTF"u8.ToArray();

    public static bool LooksEncrypted(ReadOnlySpan<byte> blob) => blob.Length > 4 && blob[..3].SequenceEqual(Magic);

    public static byte[] AssociatedData(byte formatVersion, string context) => [.. Magic, formatVersion, .. Encoding.UTF8.GetBytes(context)];

    public byte[] ToBytes()
    {
        var keyArn = Encoding.UTF8.GetBytes(KeyArn);
        var blob = new byte[3 + 1 + 2 + keyArn.Length + 2 + WrappedDataKey.Length + NonceSize + TagSize + Ciphertext.Length];
        var span = blob.AsSpan();
        Magic.CopyTo(span);
        span[3] = FormatVersion;
        var offset = 4;
        offset = WriteChunk(span, offset, keyArn);
        offset = WriteChunk(span, offset, WrappedDataKey);
        Nonce.CopyTo(span[offset..]);
        Tag.CopyTo(span[(offset + NonceSize)..]);
        Ciphertext.CopyTo(span[(offset + NonceSize + TagSize)..]);
        return blob;
    }

    public static EncryptedField Parse(byte[] blob)
    {
        try
        {
            if (!LooksEncrypted(blob))
            {
                throw new FieldDecryptionException("Not an encrypted field (no MTF header).");
            }

            var version = blob[3];
            if (version != CurrentFormatVersion)
            {
                throw new FieldDecryptionException($"Unknown encrypted field format version {version}.");
            }

            var offset = 4;
            var keyArn = ReadChunk(blob, ref offset);
            var wrapped = ReadChunk(blob, ref offset);
            var nonce = blob[offset..(offset + NonceSize)];
            var tag = blob[(offset + NonceSize)..(offset + NonceSize + TagSize)];
            var ciphertext = blob[(offset + NonceSize + TagSize)..];
            return new EncryptedField(version, Encoding.UTF8.GetString(keyArn), wrapped, nonce, tag, ciphertext);
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new FieldDecryptionException("The encrypted field is truncated.", e);
        }
    }

    private static int WriteChunk(Span<byte> span, int offset, byte[] chunk)
    {
        BinaryPrimitives.WriteUInt16BigEndian(span[offset..], checked((ushort)chunk.Length));
        chunk.CopyTo(span[(offset + 2)..]);
        return offset + 2 + chunk.Length;
    }

    private static byte[] ReadChunk(byte[] blob, ref int offset)
    {
        var length = BinaryPrimitives.ReadUInt16BigEndian(blob.AsSpan(offset));
        var chunk = blob.AsSpan(offset + 2, length).ToArray();
        offset += 2 + length;
        return chunk;
    }
}
