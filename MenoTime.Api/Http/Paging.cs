using System.Buffers.Text;
using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;

namespace MenoTime.Api.Http;

/// <summary>A page of a list and the opaque cursor of the next one (null on the last page).</summary>
public sealed record Page<T>(IReadOnlyList<T> Items, string? NextCursor);

/// <summary>
/// Keyset pagination: the cursor is the (instant, id) of the last item returned, so a page never repeats
/// or skips an item however many rows are inserted meanwhile. Opaque to clients (base64url).
/// </summary>
public sealed record PageCursor(DateTimeOffset At, Guid Id)
{
    public string Encode() =>
        Base64Url.EncodeToString(Encoding.UTF8.GetBytes($"{At.UtcTicks.ToString(CultureInfo.InvariantCulture)}:{Id:N}"));

    public static PageCursor? Decode(string value)
    {
        try
        {
            var parts = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(value)).Split(':');
            return parts.Length == 2
                   && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
                   && ticks is >= 0 and <= 3155378975999999999
                   && Guid.TryParseExact(parts[1], "N", out var id)
                ? new PageCursor(new DateTimeOffset(ticks, TimeSpan.Zero), id)
                : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }
}

/// <summary>The <c>limit</c> and <c>cursor</c> query parameters of every list.</summary>
public sealed record PageQuery(int? Limit, string? Cursor)
{
    public const int DefaultLimit = 20;
    public const int MaxLimit = 100;

    public bool TryRead(out int limit, out PageCursor? cursor, out ValidationProblem? problem)
    {
        limit = Limit ?? DefaultLimit;
        cursor = null;
        problem = null;
        if (limit is < 1 or > MaxLimit)
        {
            problem = Problems.Validation("limit", $"limit must be between 1 and {MaxLimit}.");
            return false;
        }

        if (Cursor is not null && (cursor = PageCursor.Decode(Cursor)) is null)
        {
            problem = Problems.Validation("cursor", "cursor is not one this API returned.");
            return false;
        }

        return true;
    }

    /// <summary>Builds the page from up to limit + 1 rows read in key order.</summary>
    public static Page<TOut> Build<TIn, TOut>(List<TIn> rows, int limit, Func<TIn, PageCursor> key, Func<TIn, TOut> map) =>
        new(rows.Take(limit).Select(map).ToList(), rows.Count > limit ? key(rows[limit - 1]).Encode() : null);
}
