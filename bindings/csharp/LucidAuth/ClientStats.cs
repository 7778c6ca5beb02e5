// Part of the C# binding of lucidauth: see README.md beside this project.

using System;
using System.Collections.Generic;
using System.Collections.ObjectModel;

namespace LucidAuth
{
    public sealed partial class Client
    {
        /// <summary>
        /// A snapshot of this client's counters and of the tokens it holds (one per scope), copied
        /// out of the native snapshot, which is freed at once.
        /// </summary>
        public ClientStats Stats()
        {
            ThrowIfDisposed();
            var snapshot = new StatsHandle();
            try
            {
                IntPtr raw, err;
                int status = NativeStats.lucid_client_stats(handle, out raw, out err);
                if (status != 0)
                    throw Native.Failure(status, err);
                snapshot.Take(raw);
                return ClientStats.CopyFrom(snapshot);
            }
            finally
            {
                snapshot.Dispose();
            }
        }
    }

    /// <summary>
    /// What a client has done with its tokens, as of <see cref="Client.Stats"/>: a plain managed
    /// copy, nothing to dispose. Holds no token or secret.
    /// </summary>
    public sealed class ClientStats
    {
        /// <summary>Token requests that got a token.</summary>
        public ulong TokenFetches { get; private set; }
        /// <summary>Token requests that did not, after their retries.</summary>
        public ulong TokenFetchFailures { get; private set; }
        /// <summary>Token reads answered from memory.</summary>
        public ulong MemoryReads { get; private set; }
        /// <summary>Tokens taken from the shared cache.</summary>
        public ulong SharedCacheReads { get; private set; }
        /// <summary>Tokens renewed in the background (refresh ahead).</summary>
        public ulong BackgroundRefreshes { get; private set; }
        /// <summary>API calls answered 401 whose token was fetched again.</summary>
        public ulong UnauthorizedRefetches { get; private set; }
        /// <summary>Attempts after the first, of token requests and API calls.</summary>
        public ulong Retries { get; private set; }
        /// <summary>How long the last successful token request took (whole milliseconds).</summary>
        public TimeSpan LastFetchLatency { get; private set; }
        /// <summary>The status of the last error a call on the client returned; <c>Ok</c> when none.</summary>
        public LucidStatus LastError { get; private set; }
        /// <summary>One entry per scope the client holds a token for.</summary>
        public IReadOnlyList<ScopeStats> Scopes { get; private set; }

        internal ClientStats()
        {
            Scopes = new ReadOnlyCollection<ScopeStats>(new List<ScopeStats>());
        }

        /// <summary>
        /// The property each counter sets, by the library's name of it (<c>lucid_stat_name</c>).
        /// A counter of a newer library that is missing here is skipped; a test checks that none is.
        /// </summary>
        internal static readonly Dictionary<string, Action<ClientStats, ulong>> Fields =
            new Dictionary<string, Action<ClientStats, ulong>>
            {
                { "token_fetches", (s, v) => s.TokenFetches = v },
                { "token_fetch_failures", (s, v) => s.TokenFetchFailures = v },
                { "memory_reads", (s, v) => s.MemoryReads = v },
                { "shared_cache_reads", (s, v) => s.SharedCacheReads = v },
                { "background_refreshes", (s, v) => s.BackgroundRefreshes = v },
                { "unauthorized_refetches", (s, v) => s.UnauthorizedRefetches = v },
                { "retries", (s, v) => s.Retries = v },
                { "last_fetch_latency_ms", (s, v) => s.LastFetchLatency = Millis(v) },
                { "last_error_status", (s, v) => s.LastError = (LucidStatus)unchecked((int)v) },
            };

        internal static ClientStats CopyFrom(StatsHandle snapshot)
        {
            var stats = new ClientStats();
            for (int i = 0; ; i++)
            {
                string name = Native.CopyUtf8(NativeStats.lucid_stat_name(i));
                if (name == null)
                    break;
                Action<ClientStats, ulong> set;
                if (Fields.TryGetValue(name, out set))
                    set(stats, NativeStats.lucid_stats_value(snapshot, i));
            }
            ulong count = NativeStats.lucid_stats_scope_count(snapshot).ToUInt64();
            var scopes = new List<ScopeStats>();
            for (ulong i = 0; i < count; i++)
            {
                var at = new UIntPtr(i);
                scopes.Add(new ScopeStats(
                    Native.CopyUtf8(NativeStats.lucid_stats_scope(snapshot, at)) ?? "",
                    Native.CopyUtf8(NativeStats.lucid_stats_scope_origin(snapshot, at)) ?? "",
                    Millis(NativeStats.lucid_stats_scope_refresh_in_ms(snapshot, at)),
                    Millis(NativeStats.lucid_stats_scope_expires_in_ms(snapshot, at))));
            }
            stats.Scopes = new ReadOnlyCollection<ScopeStats>(scopes);
            return stats;
        }

        /// <summary><paramref name="ms"/> milliseconds, capped at <see cref="TimeSpan.MaxValue"/>.</summary>
        internal static TimeSpan Millis(ulong ms)
        {
            const ulong max = (ulong)long.MaxValue / TimeSpan.TicksPerMillisecond;
            return ms > max ? TimeSpan.MaxValue : TimeSpan.FromTicks((long)ms * TimeSpan.TicksPerMillisecond);
        }
    }
}
