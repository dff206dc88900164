namespace MenoTime.AppHost.Hosting.Dashboard.Telemetry;

/// <summary>A fixed-size buffer that forgets its oldest item to make room: telemetry never grows without bound.</summary>
public sealed class RingBuffer<T>(int capacity)
{
    private readonly T[] _items = new T[capacity];
    private readonly Lock _lock = new();
    private int _start;
    private int _count;

    public int Capacity => capacity;

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _count;
            }
        }
    }

    /// <summary>How many items were dropped to make room since the start.</summary>
    public long Evicted { get; private set; }

    public void Add(T item)
    {
        lock (_lock)
        {
            if (_count == capacity)
            {
                _items[_start] = item;
                _start = (_start + 1) % capacity;
                Evicted++;
            }
            else
            {
                _items[(_start + _count) % capacity] = item;
                _count++;
            }
        }
    }

    /// <summary>The items, oldest first.</summary>
    public List<T> Snapshot()
    {
        lock (_lock)
        {
            var items = new List<T>(_count);
            for (var i = 0; i < _count; i++)
            {
                items.Add(_items[(_start + i) % capacity]);
            }

            return items;
        }
    }

    /// <summary>The newest item, or default when empty.</summary>
    public T? Last()
    {
        lock (_lock)
        {
            return _count == 0 ? default : _items[(_start + _count - 1) % capacity];
        }
    }
}
