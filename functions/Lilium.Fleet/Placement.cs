namespace Lilium.Fleet;

/// <summary>Where a new session goes (FLEET-CONTRACT §1). Pure: the same records and time give the same answer.</summary>
public static class Placement
{
    /// <summary>
    /// The least loaded live relay with room (<c>load &lt; capacity</c>); ties go to the one holding fewer sessions,
    /// then to the smaller relay id (ordinal), so every caller picks the same relay. Null when none qualifies.
    /// </summary>
    public static RelayRecord? Choose(IEnumerable<RelayRecord> records, DateTimeOffset now, TimeSpan? liveWindow = null)
    {
        ArgumentNullException.ThrowIfNull(records);
        var window = liveWindow ?? FleetSettings.DefaultLiveWindow;
        RelayRecord? best = null;
        foreach (var record in records)
        {
            if (record is null || !record.IsLive(now, window) || !record.HasRoom)
            {
                continue;
            }

            if (best is null || Compare(record, best) < 0)
            {
                best = record;
            }
        }

        return best;
    }

    /// <summary>True when every live relay is loaded above <paramref name="threshold"/> (a fraction of its capacity), or none is live.</summary>
    public static bool AllAbove(IEnumerable<RelayRecord> records, DateTimeOffset now, double threshold, TimeSpan? liveWindow = null)
    {
        ArgumentNullException.ThrowIfNull(records);
        var window = liveWindow ?? FleetSettings.DefaultLiveWindow;
        foreach (var record in records)
        {
            if (record.IsLive(now, window) && record.Capacity > 0 && (double)record.Load / record.Capacity <= threshold)
            {
                return false;
            }
        }

        return true;
    }

    private static int Compare(RelayRecord a, RelayRecord b)
    {
        var byLoad = a.Load.CompareTo(b.Load);
        if (byLoad != 0)
        {
            return byLoad;
        }

        var bySessions = a.Sessions.CompareTo(b.Sessions);
        return bySessions != 0 ? bySessions : string.CompareOrdinal(a.RelayId, b.RelayId);
    }
}
