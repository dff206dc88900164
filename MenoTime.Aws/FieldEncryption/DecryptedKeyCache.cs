using System.Security.Cryptography;

namespace MenoTime.Aws.FieldEncryption;

/// <summary>
/// Data keys KMS decrypted, by their wrapped form: at most <paramref name="capacity"/> of them, none older than
/// <paramref name="maxAge"/>. When full, the oldest goes first. Reads of many rows written under one data key
/// (the common case) cost one KMS call.
/// </summary>
internal sealed class DecryptedKeyCache(int capacity, TimeSpan maxAge, TimeProvider clock)
{
    private readonly Dictionary<string, (byte[] Key, DateTimeOffset AddedAt)> _entries = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _entries.Count;
            }
        }
    }

    public bool TryGet(byte[] wrapped, out byte[] key)
    {
        var id = Id(wrapped);
        lock (_lock)
        {
            if (_entries.TryGetValue(id, out var entry) && clock.GetUtcNow() - entry.AddedAt < maxAge)
            {
                key = entry.Key;
                return true;
            }

            _entries.Remove(id);
        }

        key = [];
        return false;
    }

    public void Add(byte[] wrapped, byte[] key)
    {
        var now = clock.GetUtcNow();
        lock (_lock)
        {
            foreach (var expired in _entries.Where(e => now - e.Value.AddedAt >= maxAge).Select(e => e.Key).ToList())
            {
                _entries.Remove(expired);
            }

            while (_entries.Count >= capacity && _entries.Count > 0)
            {
                _entries.Remove(_entries.MinBy(e => e.Value.AddedAt).Key);
            }

            _entries[Id(wrapped)] = (key, now);
        }
    }

    public void Clear()
    {
        lock (_lock)
        {
            _entries.Clear();
        }
    }

    private static string Id(byte[] wrapped) => Convert.ToBase64String(SHA256.HashData(wrapped));
}
