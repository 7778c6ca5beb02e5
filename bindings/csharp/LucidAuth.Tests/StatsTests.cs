// Client.Stats().

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net.Sockets;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;
using LucidAuth;
using NUnit.Framework;

namespace LucidAuth.Tests
{
    [TestFixture]
    public sealed class StatsTests : ServerTest
    {
        [Test(Description = "stats: 1 token fetch, then 9 memory reads")]
        public void StatsCountFetchesAndMemoryReads()
        {
            using (var client = NewClient())
            {
                string first = client.Token();
                for (int i = 0; i < 9; i++)
                    Equal(first, client.Token(), "token #" + (i + 2));
                Equal(1, Stat("token_requests"), "token requests");

                ClientStats s = client.Stats();
                Equal(1UL, s.TokenFetches, "TokenFetches");
                Equal(0UL, s.TokenFetchFailures, "TokenFetchFailures");
                Equal(9UL, s.MemoryReads, "MemoryReads");
                Equal(0UL, s.SharedCacheReads, "SharedCacheReads");
                Equal(0UL, s.BackgroundRefreshes, "BackgroundRefreshes");
                Equal(0UL, s.UnauthorizedRefetches, "UnauthorizedRefetches");
                Equal(0UL, s.Retries, "Retries");
                Check(s.LastFetchLatency >= TimeSpan.Zero && s.LastFetchLatency < TimeSpan.FromSeconds(20),
                      "LastFetchLatency within the deadline: " + s.LastFetchLatency);
                Equal(0L, s.LastFetchLatency.Ticks % TimeSpan.TicksPerMillisecond, "whole milliseconds");
                Equal(LucidStatus.Ok, s.LastError, "LastError");
                Equal(1, s.Scopes.Count, "scopes");
                ScopeStats scope = s.Scopes[0];
                Equal("", scope.Scope, "Scope");
                Equal("token endpoint", scope.Origin, "Origin");
                Check(scope.ExpiresIn > TimeSpan.Zero && scope.ExpiresIn <= TimeSpan.FromSeconds(3600),
                      "ExpiresIn within (0, 3600 s]: " + scope.ExpiresIn);
                Check(scope.RefreshIn <= scope.ExpiresIn, "RefreshIn " + scope.RefreshIn + " <= ExpiresIn " + scope.ExpiresIn);
                // The refresh window is refresh_margin (300 s by default); each end is rounded down
                // to a millisecond on its own.
                TimeSpan margin = scope.ExpiresIn - scope.RefreshIn;
                Check(margin >= TimeSpan.FromMilliseconds(299999) && margin <= TimeSpan.FromMilliseconds(300001),
                      "ExpiresIn - RefreshIn is the 300 s margin: " + margin);
            }
        }

        [Test(Description = "stats: a wrong secret is 1 failed fetch, CredentialsRejected")]
        public void StatsCountARejectedFetch()
        {
            Credentials credentials;
            using (var good = Credentials.FromFile(CredentialsPath))
            using (var builder = good.ToBuilder())
                credentials = builder.Set("client_secret", "WRONG-stats-secret").Build();
            using (credentials)
            using (var client = new Client(credentials))
            {
                var e = Throws<LucidAuthException>(() => client.Token(), "Token with a wrong secret");
                Equal(LucidStatus.CredentialsRejected, e.Status, "status");
                Equal(1, Stat("token_requests"), "token requests");

                ClientStats s = client.Stats();
                Equal(0UL, s.TokenFetches, "TokenFetches");
                Equal(1UL, s.TokenFetchFailures, "TokenFetchFailures");
                Equal(0UL, s.MemoryReads, "MemoryReads");
                Equal(0UL, s.Retries, "Retries");
                Equal(TimeSpan.Zero, s.LastFetchLatency, "LastFetchLatency");
                Equal(LucidStatus.CredentialsRejected, s.LastError, "LastError");
                Equal(9, (int)s.LastError, "LastError number");
                Equal(0, s.Scopes.Count, "scopes");
            }
        }

        [Test(Description = "stats of a disposed client throw ObjectDisposedException")]
        public void StatsOfADisposedClient()
        {
            var client = NewClient();
            client.Dispose();
            Throws<ObjectDisposedException>(() => client.Stats(), "Stats after Dispose");
        }
    }
}
