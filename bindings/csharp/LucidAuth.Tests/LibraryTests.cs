// The binding against the header and the library: versions, status table, keys, counters, log handler.

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
    public sealed class LibraryTests : ServerTest
    {
        [Test(Description = "version")]
        public void VersionIsTheHeaders()
        {
            Match version = Regex.Match(HeaderText(), "#define LUCIDAUTH_VERSION_STRING \"([^\"]+)\"");
            Check(version.Success, "the header defines LUCIDAUTH_VERSION_STRING");
            Equal(version.Groups[1].Value, Library.Version, "the library's version is the header's");
        }

        /// <summary>
        /// The <c>LUCID_STATUS_NAME = n</c> lines of include/lucidauth.h against the members of
        /// <see cref="LucidStatus"/> (Pascal case turned into the header's spelling), both ways.
        /// </summary>
        [Test(Description = "LucidStatus is the header's status table, both ways")]
        public void StatusTableIsTheHeaders()
        {
            var header = new Dictionary<string, int>();
            foreach (Match m in Regex.Matches(HeaderText(), @"^\s*LUCID_STATUS_([A-Z0-9_]+) = (\d+),", RegexOptions.Multiline))
                header.Add(m.Groups[1].Value, int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture));
            Check(header.Count >= 16, "found the statuses in the header: " + header.Count);

            var binding = new Dictionary<string, int>();
            foreach (LucidStatus status in Enum.GetValues(typeof(LucidStatus)))
                binding.Add(Snake(status.ToString()), (int)status);

            foreach (var pair in header)
            {
                int number;
                Check(binding.TryGetValue(pair.Key, out number), "LucidStatus lacks LUCID_STATUS_" + pair.Key);
                Equal(pair.Value, number, "number of LUCID_STATUS_" + pair.Key);
                Equal("LUCID_STATUS_" + pair.Key, Library.StatusName((LucidStatus)pair.Value), "library's name of " + pair.Value);
            }
            foreach (var pair in binding)
                Check(header.ContainsKey(pair.Key), "LucidStatus has " + pair.Key + ", which the header lacks");
            Equal(15, (int)LucidStatus.BufferTooSmall, "BufferTooSmall");
            Equal("LUCID_STATUS_UNKNOWN", Library.StatusName((LucidStatus)header.Count), "the number past the last");
        }

        [DllImport("lucidauth", CallingConvention = CallingConvention.Cdecl)]
        private static extern IntPtr lucid_credentials_key(UIntPtr index);

        /// <summary>
        /// lucid_credentials_key(0, 1, ...) until NULL, against CredentialKeys.All and against the
        /// constants of CredentialKeys (in declaration order), exactly.
        /// </summary>
        [Test(Description = "CredentialKeys are lucid_credentials_key's list, in order")]
        public void CredentialKeysAreTheLibrarys()
        {
            var library = new List<string>();
            for (uint i = 0; lucid_credentials_key(new UIntPtr(i)) != IntPtr.Zero; i++)
                library.Add(Marshal.PtrToStringAnsi(lucid_credentials_key(new UIntPtr(i))));
            Check(library.Count > 0 && library[0] == "client_id", "the library lists client_id first: " + string.Join(",", library));
            Equal(string.Join(",", library), string.Join(",", CredentialKeys.All), "CredentialKeys.All");
            var constants = typeof(CredentialKeys).GetFields(BindingFlags.Public | BindingFlags.Static)
                .Where(f => f.IsLiteral).Select(f => (string)f.GetRawConstantValue());
            Equal(string.Join(",", library), string.Join(",", constants), "the CredentialKeys constants");
        }

        /// <summary>
        /// lucid_stat_name(0, 1, ...) until NULL against <see cref="ClientStats.Fields"/>, both
        /// ways; each counter sets a property of its own, and every property but Scopes is set.
        /// </summary>
        [Test(Description = "ClientStats has a property for every lucid_stat_name counter")]
        public void StatsCoverEveryCounter()
        {
            var library = new List<string>();
            for (int i = 0; NativeStats.lucid_stat_name(i) != IntPtr.Zero; i++)
                library.Add(Marshal.PtrToStringAnsi(NativeStats.lucid_stat_name(i)));
            Equal(IntPtr.Zero, NativeStats.lucid_stat_name(-1), "lucid_stat_name(-1)");
            Equal(9, library.Count, "counters: " + string.Join(",", library));
            Equal("token_fetches", library[0], "counter 0");
            Equal(string.Join(",", library.OrderBy(n => n, StringComparer.Ordinal)),
                  string.Join(",", ClientStats.Fields.Keys.OrderBy(n => n, StringComparer.Ordinal)),
                  "the binding's counters");

            var properties = typeof(ClientStats).GetProperties(BindingFlags.Public | BindingFlags.Instance)
                .Where(p => p.Name != "Scopes").ToList();
            var setBy = new Dictionary<string, string>();
            foreach (string name in library)
            {
                var stats = new ClientStats();
                var fresh = new ClientStats();
                ClientStats.Fields[name](stats, 7);
                var changed = properties.Where(p => !Equals(p.GetValue(stats, null), p.GetValue(fresh, null)))
                    .Select(p => p.Name).ToList();
                Equal(1, changed.Count, "properties set by " + name + ": " + string.Join(",", changed));
                Check(!setBy.ContainsKey(changed[0]), changed[0] + " is set by two counters");
                setBy.Add(changed[0], name);
            }
            foreach (var property in properties)
                Check(setBy.ContainsKey(property.Name), "no counter sets " + property.Name);

            var sample = new ClientStats();
            ClientStats.Fields["last_fetch_latency_ms"](sample, 1500);
            ClientStats.Fields["last_error_status"](sample, 9);
            Equal(TimeSpan.FromMilliseconds(1500), sample.LastFetchLatency, "latency");
            Equal(LucidStatus.CredentialsRejected, sample.LastError, "last error");
        }

        [Test(Description = "log handler")]
        public void LogHandler()
        {
            var lines = new List<KeyValuePair<LogLevel, string>>();
            string token;
            try
            {
                Library.SetLogHandler((level, line) => { lock (lines) lines.Add(new KeyValuePair<LogLevel, string>(level, line)); },
                                      LogLevel.Debug);
                using (var client = NewClient())
                    token = client.Token();
            }
            finally
            {
                Library.SetLogHandler(null);
            }
            int seen;
            var fetch = new Regex("^token request to " + Regex.Escape(BaseUrl) + "/oauth2/token for scope '': HTTP 200 in [0-9]+ ms$");
            lock (lines)
            {
                seen = lines.Count;
                Check(lines.All(l => l.Key >= LogLevel.Error && l.Key <= LogLevel.Debug), "levels 1..4");
                var fetches = lines.Where(l => fetch.IsMatch(l.Value)).ToList();
                Equal(1, fetches.Count, "one line for the token fetch among: " + string.Join(" | ", lines.Select(l => l.Value)));
                Equal(LogLevel.Info, fetches[0].Key, "its level");
                Check(lines.All(l => !l.Value.Contains(token) && !l.Value.Contains("CLIENT_SECRET")), "no secret or token in the log");
            }
            using (var client = NewClient())
                client.Token();
            lock (lines)
                Equal(seen, lines.Count, "nothing logged after SetLogHandler(null)");
            Throws<ArgumentOutOfRangeException>(() => Library.SetLogHandler((l, m) => { }, (LogLevel)7), "bad level");
            try
            {
                Library.SetLogHandler((level, line) => { throw new InvalidOperationException("handler fails"); }, LogLevel.Debug);
                using (var client = NewClient())
                    Check(client.Token().Length > 0, "a throwing handler does not disturb the library");
            }
            finally
            {
                Library.SetLogHandler(null);
            }
        }
    }
}
