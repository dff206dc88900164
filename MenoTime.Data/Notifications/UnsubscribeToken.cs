using System.Buffers.Text;
using System.Security.Cryptography;

namespace MenoTime.Data.Notifications;

/// <summary>
/// The signed one-click opt-out token in every reminder's <c>List-Unsubscribe</c> link: the notification id
/// (opaque, no PHI in the URL) and an HMAC-SHA256 over it with the key from <c>Email:UnsubscribeKey</c>.
/// The worker signs, the API verifies; neither needs any state for it.
/// </summary>
public sealed class UnsubscribeToken
{
    private const byte Version = 1;
    private const int MacLength = 16; // 128-bit tag: ample against forgery, keeps the URL short.
    private readonly byte[] _key;

    /// <param name="base64Key">At least 32 random bytes, base64.</param>
    public UnsubscribeToken(string? base64Key)
    {
        if (string.IsNullOrWhiteSpace(base64Key))
        {
            throw new InvalidOperationException(
                "Email:UnsubscribeKey is not set: the key that signs opt-out links (base64, 32+ random bytes). " +
                "The AppHost generates one locally; in AWS it comes from Secrets Manager.");
        }

        try
        {
            _key = Convert.FromBase64String(base64Key);
        }
        catch (FormatException)
        {
            throw new InvalidOperationException("Email:UnsubscribeKey must be base64.");
        }

        if (_key.Length < 32)
        {
            throw new InvalidOperationException("Email:UnsubscribeKey must hold at least 32 bytes.");
        }
    }

    public string Create(Guid notificationId)
    {
        Span<byte> token = stackalloc byte[1 + 16 + MacLength];
        token[0] = Version;
        notificationId.TryWriteBytes(token[1..17]);
        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(_key, token[..17], mac);
        mac[..MacLength].CopyTo(token[17..]);
        return Base64Url.EncodeToString(token);
    }

    /// <summary>The notification id, when <paramref name="token"/> is well formed and its signature is ours.</summary>
    public bool TryRead(string? token, out Guid notificationId)
    {
        notificationId = Guid.Empty;
        Span<byte> bytes = stackalloc byte[64];
        if (string.IsNullOrEmpty(token) || token.Length > 64
            || Base64Url.DecodeFromChars(token, bytes, out _, out var written) != System.Buffers.OperationStatus.Done
            || written != 1 + 16 + MacLength || bytes[0] != Version)
        {
            return false;
        }

        Span<byte> expected = stackalloc byte[32];
        HMACSHA256.HashData(_key, bytes[..17], expected);
        if (!CryptographicOperations.FixedTimeEquals(expected[..MacLength], bytes[17..written]))
        {
            return false;
        }

        notificationId = new Guid(bytes[1..17]);
        return true;
    }
}
