// Tests.cs: tests of the C# binding against the bundled local server (lucid-testserver).
//
//   mcs -warnaserror -out:Tests.exe LucidAuth.cs Tests.cs && mono Tests.exe [PATH-TO-lucid-testserver]
//
// The server path is the first argument, else $LUCID_TESTSERVER, else
// target/release/lucid-testserver. liblucidauth.so must be findable (LD_LIBRARY_PATH; see
// README.md); the header is $LUCIDAUTH_HEADER, else include/lucidauth.h. The last line printed
// is "N passed, M failed"; the exit status is 1 on any failure.

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

namespace LucidAuth.Tests
{
    internal sealed class CheckFailed : Exception
    {
        public CheckFailed(string message) : base(message) { }
    }

    internal static class Program
    {
        private static int passed;
        private static int failed;
        private static string baseUrl;
        private static string credentialsPath;

        private static int Main(string[] args)
        {
            string serverPath = args.Length > 0 ? args[0]
                : Environment.GetEnvironmentVariable("LUCID_TESTSERVER") ?? "target/release/lucid-testserver";
            string dir = Path.Combine(Path.GetTempPath(), "lucidauth-cs-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(dir);
            credentialsPath = Path.Combine(dir, "credentials.cfg");

            ThreadPool.SetMinThreads(64, 64);

            Process server = null;
            try
            {
                server = StartServer(serverPath, dir);
                // Discover() reads the process environment; on Mono this reaches the native library.
                foreach (string name in new[] { "LAS_CLIENT_ID", "LAS_CLIENT_SECRET", "LAS_API_KEY",
                                                "LAS_AUTH_ENDPOINT", "LAS_API_ENDPOINT", "LAS_PROFILE" })
                    Environment.SetEnvironmentVariable(name, null);
                Environment.SetEnvironmentVariable("LAS_CREDENTIALS_FILE", credentialsPath);
                RunAll();
            }
            catch (Exception e)
            {
                failed++;
                Console.WriteLine("FAIL setup: " + e);
            }
            finally
            {
                StopServer(server);
                try { Directory.Delete(dir, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            }
            Console.WriteLine(passed + " passed, " + failed + " failed");
            return failed == 0 ? 0 : 1;
        }

        private static void RunAll()
        {
            Test("version", VersionIsTheHeaders);
            Test("LucidStatus is the header's status table, both ways", StatusTableIsTheHeaders);
            Test("token is cached: one token request", TokenIsCached);
            Test("scoped tokens are cached per scope", ScopedTokens);
            Test("ClientStats has a property for every lucid_stat_name counter", StatsCoverEveryCounter);
            Test("stats: 1 token fetch, then 9 memory reads", StatsCountFetchesAndMemoryReads);
            Test("stats: a wrong secret is 1 failed fetch, CredentialsRejected", StatsCountARejectedFetch);
            Test("stats of a disposed client throw ObjectDisposedException", StatsOfADisposedClient);
            foreach (int size in new[] { Client.TokenBufferSize - 1, Client.TokenBufferSize, 20000 })
                Test("token of " + size + " bytes (first buffer " + Client.TokenBufferSize + ")", () => LongToken(size));
            Test("send: path, x-api-key, bearer, body, headers", SendEchoes);
            Test("send keeps the caller's header order", SendKeepsHeaderOrder);
            Test("send GET without body; response headers", SendGet);
            Test("wrong secret: CredentialsRejected 401 invalid_client", WrongSecret);
            Test("token endpoint 400 invalid_scope details", TokenEndpointOAuthError);
            Test("token endpoint 503 is retried", TokenEndpointRetried);
            Test("scripted API 404 is a response, not an exception", Scripted404);
            Test("redirects are not followed", RedirectNotFollowed);
            Test("revoked token is renewed once", RevokedTokenRenewed);
            Test("other origin refused", OtherOriginRefused);
            Test("missing profile: Config", MissingProfile);
            Test("missing file", MissingFile);
            Test("Discover via LAS_CREDENTIALS_FILE", Discover);
            Test("Create + ToBuilder", CreateAndToBuilder);
            Test("CredentialKeys are lucid_credentials_key's list, in order", CredentialKeysAreTheLibrarys);
            Test("builder: every key of the credentials file", BuilderEveryKey);
            Test("builder: typed setters", BuilderTyped);
            Test("builder: bad keys and values", BuilderRejects);
            Test("response size cap: TooLarge", ResponseTooLarge);
            Test("log handler", LogHandler);
            Test("bad managed arguments", BadArguments);
            Test("disposed objects throw ObjectDisposedException", DisposedThrows);
            Test("Dispose twice is fine", DisposeTwice);
            Test("finalizers free what was not disposed", Finalizers);
            Test("Parallel.For: 200 Token calls, 1 token request", ParallelTokens);
            Test("Dispose during parallel sends", DisposeDuringSends);
            Test("token refreshed near expiry", TokenRefreshed);
            Test("TokenAsync/SendAsync cancelled on a stalled token endpoint", AsyncCancelledOnStalledEndpoint);
            Test("TokenAsync/SendAsync without cancellation are Token/Send", AsyncMatchesSync);
            Test("TokenAsync/SendAsync with a cancelled token: canceled at once, no call", AsyncAlreadyCancelled);
        }

        // ---- the tests ----------------------------------------------------------------------------

        private static void VersionIsTheHeaders()
        {
            Match version = Regex.Match(HeaderText(), "#define LUCIDAUTH_VERSION_STRING \"([^\"]+)\"");
            Check(version.Success, "the header defines LUCIDAUTH_VERSION_STRING");
            Equal(version.Groups[1].Value, Library.Version, "the library's version is the header's");
        }

        /// <summary>
        /// The <c>LUCID_STATUS_NAME = n</c> lines of include/lucidauth.h against the members of
        /// <see cref="LucidStatus"/> (Pascal case turned into the header's spelling), both ways.
        /// </summary>
        private static void StatusTableIsTheHeaders()
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

        private static void TokenIsCached()
        {
            using (var client = NewClient())
            {
                string t1 = client.Token();
                string t2 = client.Token();
                Check(t1.StartsWith("tok-", StringComparison.Ordinal), "token from the server: " + t1.Length);
                Equal(t1, t2, "same token twice");
                Equal(t1, client.Token(null), "null scope is the default");
                Equal(1, Stat("token_requests"), "token requests");
                Equal(0, Stat("api_requests"), "api requests");
            }
        }

        private static void ScopedTokens()
        {
            using (var client = NewClient())
            {
                string plain = client.Token();
                string scoped = client.Token("machinelearning.predict");
                Check(plain != scoped, "a scope gets its own token");
                Equal(scoped, client.Token("machinelearning.predict"), "scoped token cached");
                Equal(plain, client.Token(""), "\"\" is no scope");
                Equal(2, Stat("token_requests"), "token requests");
                var requests = (List<object>)Json.Parse(Admin("GET", "/_admin/requests", null));
                var queries = requests.Cast<Dictionary<string, object>>()
                    .Where(r => (string)r["kind"] == "token").Select(r => (string)r["query"]).ToList();
                Check(queries.Any(q => q.Contains("scope=machinelearning.predict")), "scope in a token query: " + string.Join(" | ", queries));
                Check(queries.All(q => q.Contains("grant_type=client_credentials")), "grant_type in every token query");
            }
        }

        /// <summary>
        /// lucid_stat_name(0, 1, ...) until NULL against <see cref="ClientStats.Fields"/>, both
        /// ways; each counter sets a property of its own, and every property but Scopes is set.
        /// </summary>
        private static void StatsCoverEveryCounter()
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

        private static void StatsCountFetchesAndMemoryReads()
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

        private static void StatsCountARejectedFetch()
        {
            Credentials credentials;
            using (var good = Credentials.FromFile(credentialsPath))
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

        private static void StatsOfADisposedClient()
        {
            var client = NewClient();
            client.Dispose();
            Throws<ObjectDisposedException>(() => client.Stats(), "Stats after Dispose");
        }

        /// <summary>
        /// The server answers with a token of <paramref name="size"/> bytes ("long-" and then a to z
        /// over and over); Token returns exactly it, then again from the cache.
        /// </summary>
        private static void LongToken(int size)
        {
            var sb = new StringBuilder("long-");
            while (sb.Length < size)
                sb.Append((char)('a' + sb.Length % 26));
            string expected = sb.ToString(0, size);
            Script("token", 200, "{\"access_token\":\"" + expected + "\",\"expires_in\":3600,\"token_type\":\"Bearer\"}", null, 1);
            using (var client = NewClient())
            {
                string first = client.Token();
                Equal(size, first.Length, "length");
                Equal(expected, first, "the scripted token");
                Equal(expected, client.Token(), "the same token from the cache");
                Equal(1, Stat("token_requests"), "token requests");
            }
        }

        private static void SendEchoes()
        {
            using (var client = NewClient())
            {
                string text = "{\"hello\":\"w\u00f6rld \u2603\"}";
                var headers = new Dictionary<string, string>
                {
                    { "X-Custom", "custom value" },
                    { "Content-Type", "application/json" },
                };
                Response response = client.Send("POST", "/documents/abc?x=1", Encoding.UTF8.GetBytes(text), headers);
                Equal(200, response.Status, "status");
                var echo = (Dictionary<string, object>)Json.Parse(response.BodyText);
                var echoed = (Dictionary<string, object>)echo["headers"];
                Equal("POST", (string)echo["method"], "method");
                Equal("/v1/documents/abc", (string)echo["path"], "path joined to api_endpoint");
                Equal("x=1", (string)echo["query"], "query");
                Equal(text, (string)echo["body"], "body");
                Equal("API_KEY", (string)echoed["x-api-key"], "x-api-key");
                Equal("Bearer " + client.Token(), (string)echoed["authorization"], "authorization");
                Equal("custom value", (string)echoed["x-custom"], "custom header");
                Equal("application/json", (string)echoed["content-type"], "content type");
                Equal(1, Stat("token_requests"), "token requests");
                Equal(1, Stat("api_requests"), "api requests");
            }
        }

        private static void SendKeepsHeaderOrder()
        {
            using (var client = NewClient())
            {
                var headers = new List<KeyValuePair<string, string>>
                {
                    new KeyValuePair<string, string>("X-Test-Zeta", "1"),
                    new KeyValuePair<string, string>("X-Test-Alpha", "2"),
                    new KeyValuePair<string, string>("X-Test-Mid", "3"),
                };
                Equal(200, client.Send("GET", "/documents", null, headers).Status, "status");
                var requests = ((List<object>)Json.Parse(Admin("GET", "/_admin/requests", null)))
                    .Cast<Dictionary<string, object>>().Where(r => (string)r["kind"] == "api").ToList();
                Equal(1, requests.Count, "api requests recorded");
                var sent = ((List<object>)requests[0]["headers"]).Cast<List<object>>()
                    .Select(h => ((string)h[0]).ToLowerInvariant() + "=" + (string)h[1])
                    .Where(h => h.StartsWith("x-test-", StringComparison.Ordinal));
                Equal("x-test-zeta=1,x-test-alpha=2,x-test-mid=3", string.Join(",", sent), "headers in the caller's order");
            }
        }

        private static void SendGet()
        {
            using (var client = NewClient())
            {
                Response response = client.Send("GET", "/documents");
                Equal(200, response.Status, "status");
                var echo = (Dictionary<string, object>)Json.Parse(response.BodyText);
                Equal("GET", (string)echo["method"], "method");
                Equal("/v1/documents", (string)echo["path"], "path");
                Equal("", (string)echo["body"], "empty body");
                Equal(response.BodyText, Encoding.UTF8.GetString(response.Body), "Body and BodyText agree");
                Check(response.Headers.Count > 0, "has headers");
                Check(response.Headers.All(h => h.Key == h.Key.ToLowerInvariant()), "header names in lower case");
                Check(response.Headers.Any(h => h.Key == "content-type"), "content-type among Headers");
                Check((response.Header("Content-Type") ?? "").StartsWith("application/json", StringComparison.Ordinal),
                      "Header() ignores case: " + response.Header("Content-Type"));
                Equal(null, response.Header("x-no-such-header"), "missing header");
            }
        }

        private static void WrongSecret()
        {
            const string secret = "WRONG-s3cret-do-not-print";
            Credentials credentials;
            using (var good = Credentials.FromFile(credentialsPath))
            using (var builder = good.ToBuilder())
                credentials = builder.Set("client_secret", secret).Build();
            using (credentials)
            using (var client = new Client(credentials))
            {
                var e = Throws<LucidAuthException>(() => client.Token(), "Token with a wrong secret");
                Equal(LucidStatus.CredentialsRejected, e.Status, "status");
                Equal(9, (int)e.Status, "status number");
                Equal("LUCID_STATUS_CREDENTIALS_REJECTED", e.StatusName, "status name");
                Equal(401, e.HttpStatus, "http status");
                Equal("invalid_client", e.OAuthError, "oauth error");
                Equal("Client authentication failed", e.OAuthErrorDescription, "oauth error description");
                Check(!string.IsNullOrEmpty(e.Message), "has a message");
                Check(!e.Message.Contains(secret) && !e.ToString().Contains(secret), "message without the secret: " + e.Message);
                Equal(1, Stat("token_requests"), "a rejection is not retried");

                var e2 = Throws<LucidAuthException>(() => client.Send("GET", "/documents"), "Send with a wrong secret");
                Equal(LucidStatus.CredentialsRejected, e2.Status, "status from Send");
                Equal(0, Stat("api_requests"), "no API request without a token");
            }
        }

        private static void TokenEndpointOAuthError()
        {
            Script("token", 400, "{\"error\":\"invalid_scope\",\"error_description\":\"no such scope\"}", null, 1);
            using (var client = NewClient())
            {
                var e = Throws<LucidAuthException>(() => client.Token("nonsense"), "Token with a refused scope");
                Equal(LucidStatus.CredentialsRejected, e.Status, "status");
                Equal(400, e.HttpStatus, "http status");
                Equal("invalid_scope", e.OAuthError, "oauth error");
                Equal("no such scope", e.OAuthErrorDescription, "oauth error description");
            }
        }

        private static void TokenEndpointRetried()
        {
            Script("token", 503, "busy", new Dictionary<string, string> { { "Retry-After", "0" } }, 1);
            using (var client = NewClient())
            {
                Check(client.Token().StartsWith("tok-", StringComparison.Ordinal), "token after a 503");
                Equal(2, Stat("token_requests"), "token requests");
            }
        }

        private static void Scripted404()
        {
            using (var client = NewClient())
            {
                Script("api", 404, "{\"message\":\"no such document\"}", null, 1);
                Response response = client.Send("GET", "/documents/missing");
                Equal(404, response.Status, "status");
                Equal("{\"message\":\"no such document\"}", response.BodyText, "body");
                Equal(1, Stat("api_requests"), "not retried");
            }
        }

        private static void RedirectNotFollowed()
        {
            using (var client = NewClient())
            {
                Response response = client.Send("GET", "/go/redirect");
                Equal(302, response.Status, "status");
                Equal(baseUrl + "/elsewhere", response.Header("location"), "location");
                Equal(1, Stat("api_requests"), "api requests");
            }
        }

        private static void RevokedTokenRenewed()
        {
            using (var client = NewClient())
            {
                string before = client.Token();
                Admin("POST", "/_admin/revoke", "");
                Response response = client.Send("GET", "/documents");
                Equal(200, response.Status, "status after renewal");
                Equal(2, Stat("token_requests"), "token requests");
                Equal(2, Stat("api_requests"), "api requests: the 401 and the retry");
                Check(client.Token() != before, "the cached token was replaced");
            }
        }

        private static void OtherOriginRefused()
        {
            using (var client = NewClient())
            {
                var e = Throws<LucidAuthException>(() => client.Send("GET", "https://elsewhere.example.com/v1/x"),
                                                   "Send to another origin");
                Equal(LucidStatus.InsecureUrl, e.Status, "status");
                Equal(0, e.HttpStatus, "no server answered");
                Equal(0, Stat("api_requests"), "nothing sent");
            }
        }

        private static void MissingProfile()
        {
            var e = Throws<LucidAuthException>(() => Credentials.FromFile(credentialsPath, "no-such-profile"),
                                               "FromFile with a missing profile");
            Equal(LucidStatus.Config, e.Status, "status from FromFile");
            Equal("LUCID_STATUS_CONFIG", e.StatusName, "status name");
            Equal(0, e.HttpStatus, "no http status");
            Equal(null, e.OAuthError, "no oauth error");
            var e2 = Throws<LucidAuthException>(() => Credentials.Discover("no-such-profile"), "Discover with a missing profile");
            Equal(LucidStatus.Config, e2.Status, "status from Discover");
        }

        private static void MissingFile()
        {
            var e = Throws<LucidAuthException>(() => Credentials.FromFile(credentialsPath + ".missing"), "FromFile of a missing file");
            Check(e.Status == LucidStatus.Io || e.Status == LucidStatus.Config, "status Io or Config: " + e.Status);
        }

        private static void Discover()
        {
            using (var credentials = Credentials.Discover())
            using (var client = new Client(credentials))
            {
                Equal(200, client.Send("GET", "/documents").Status, "status");
            }
        }

        private static void CreateAndToBuilder()
        {
            using (var created = Credentials.Create("CLIENT_ID", "CLIENT_SECRET"))
            using (var builder = created.ToBuilder())
            using (var credentials = builder.AuthEndpoint(baseUrl).ApiEndpoint(baseUrl + "/v1").ApiKey("API_KEY").Build())
            using (var client = new Client(credentials))
            {
                Equal(200, client.Send("GET", "/x").Status, "status");
                Equal(1, Stat("token_requests"), "token requests");
            }
            Throws<ArgumentNullException>(() => Credentials.Create(null, "s"), "Create(null, ...)");
            var e = Throws<LucidAuthException>(() => Credentials.Create("", "CLIENT_SECRET"), "Create with an empty id");
            Check(e.Status == LucidStatus.Config || e.Status == LucidStatus.InvalidArgument, "status: " + e.Status);
        }

        [DllImport("lucidauth", CallingConvention = CallingConvention.Cdecl)]
        private static extern IntPtr lucid_credentials_key(UIntPtr index);

        /// <summary>
        /// lucid_credentials_key(0, 1, ...) until NULL, against CredentialKeys.All and against the
        /// constants of CredentialKeys (in declaration order), exactly.
        /// </summary>
        private static void CredentialKeysAreTheLibrarys()
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

        private static void BuilderEveryKey()
        {
            const string caFile = "/etc/ssl/certs/ca-certificates.crt";
            var values = new Dictionary<string, string>
            {
                { "client_id", "CLIENT_ID" },
                { "client_secret", "CLIENT_SECRET" },
                { "api_key", "API_KEY" },
                { "auth_endpoint", baseUrl },
                { "api_endpoint", baseUrl + "/v1" },
                { "scope", "alpha beta" },
                { "token_params", "query" },
                { "client_auth", "basic" },
                { "use_cache", "false" },
                { "cache_dir", Path.Combine(Path.GetTempPath(), "lucidauth-cs-cache") },
                // Nothing listens on port 1: the shared cache only costs a warning, the token is fetched.
                { "cache_url", "redis://127.0.0.1:1/0" },
                // none: the environment's proxy variables are ignored.
                { "proxy", "none" },
                { "ca_file", caFile },
                { "timeout", "15" },
                { "refresh_margin", "60" },
                { "allow_http", "false" },
                { "connect_timeout", "5" },
                { "max_response_bytes", "1048576" },
                { "max_retries", "2" },
                { "retry_backoff_ms", "10" },
                { "retry_deadline", "30" },
                { "max_retry_after", "1" },
                { "refresh_ahead", "false" },
                { "audience", "https://api.example.test/v1" },
                // Long expired (exp 1970): the client fetches with its client credentials.
                { "access_token", "eyJhbGciOiJub25lIn0.eyJleHAiOjF9.sig" },
            };
            Equal(CredentialKeys.All.Count, values.Count, "every key is covered");
            using (var builder = new CredentialsBuilder())
            {
                foreach (string key in CredentialKeys.All)
                {
                    if (key == CredentialKeys.CaFile && !File.Exists(caFile))
                        continue; // no PEM bundle on this machine to point at
                    Check(object.ReferenceEquals(builder, builder.Set(key, values[key])), "Set returns the builder");
                }
                using (var credentials = builder.Build())
                using (var client = new Client(credentials))
                {
                    Equal(200, client.Send("POST", "/x", new byte[] { 1, 2, 3 }).Status, "status");
                    var token = (Dictionary<string, object>)((List<object>)Json.Parse(Admin("GET", "/_admin/requests", null)))
                        .Cast<Dictionary<string, object>>().First(r => (string)r["kind"] == "token");
                    string query = (string)token["query"];
                    Check(query.Contains("scope=alpha+beta") || query.Contains("scope=alpha%20beta"), "scope in the query: " + query);
                }
            }
        }

        private static void BuilderTyped()
        {
            using (var builder = new CredentialsBuilder())
            {
                builder.ClientId("CLIENT_ID").ClientSecret("CLIENT_SECRET").ApiKey("API_KEY")
                       .AuthEndpoint(baseUrl + "/oauth2/token").ApiEndpoint(baseUrl + "/v1")
                       .Scope("s1").TokenParams("body").ClientAuth("post").UseCache(false)
                       .Timeout(TimeSpan.FromSeconds(20)).RefreshMargin(TimeSpan.FromSeconds(30)).AllowHttp(false)
                       .ConnectTimeout(TimeSpan.FromSeconds(5)).MaxResponseBytes(1 << 20).MaxRetries(2)
                       .RetryBackoff(TimeSpan.FromMilliseconds(10)).RetryDeadline(TimeSpan.FromSeconds(30))
                       .MaxRetryAfter(TimeSpan.FromSeconds(1));
                using (var credentials = builder.Build())
                using (var client = new Client(credentials))
                {
                    Check(client.Token().StartsWith("tok-", StringComparison.Ordinal), "token with body params and post auth");
                    var token = (Dictionary<string, object>)((List<object>)Json.Parse(Admin("GET", "/_admin/requests", null)))[0];
                    Check(((string)token["body"]).Contains("client_id=CLIENT_ID"), "client_id in the form body");
                    Check(!((string)token["query"]).Contains("grant_type"), "nothing in the query: " + token["query"]);
                }
                Throws<ArgumentOutOfRangeException>(() => builder.Timeout(TimeSpan.FromMilliseconds(1500)), "fractional timeout");
                Check(object.ReferenceEquals(builder, builder.CacheDir("/tmp/lucidauth-cache")), "CacheDir");
                Check(object.ReferenceEquals(builder, builder.CacheUrl("redis://127.0.0.1:6379/0")), "CacheUrl");
                var e = Throws<LucidAuthException>(() => builder.CacheUrl("ftp://127.0.0.1/0"), "CacheUrl with another scheme");
                Equal(LucidStatus.InvalidArgument, e.Status, "bad cache_url status");
            }
        }

        private static void BuilderRejects()
        {
            using (var builder = Credentials.FromFile(credentialsPath).ToBuilder())
            {
                var e = Throws<LucidAuthException>(() => builder.Set("colour", "blue"), "unknown key");
                Equal(LucidStatus.InvalidArgument, e.Status, "unknown key status");
                e = Throws<LucidAuthException>(() => builder.Set("timeout", "soon"), "bad timeout");
                Equal(LucidStatus.InvalidArgument, e.Status, "bad value status");
                e = Throws<LucidAuthException>(() => builder.Set("client_auth", "telepathy"), "bad client_auth");
                Equal(LucidStatus.InvalidArgument, e.Status, "bad client_auth status");
                using (var credentials = builder.Build())
                using (var client = new Client(credentials))
                    Equal(200, client.Send("GET", "/x").Status, "builder unchanged by rejected values");
            }
            using (var builder = new CredentialsBuilder().ClientId("only-an-id"))
            {
                var e = Throws<LucidAuthException>(() => builder.Build(), "Build without a secret");
                Equal(LucidStatus.Config, e.Status, "incomplete credentials");
            }
        }

        private static void ResponseTooLarge()
        {
            using (var builder = Credentials.FromFile(credentialsPath).ToBuilder())
            using (var credentials = builder.MaxResponseBytes(16).Build())
            using (var client = new Client(credentials))
            {
                var e = Throws<LucidAuthException>(() => client.Send("GET", "/a/long/enough/path"), "Send with a 16-byte cap");
                Equal(LucidStatus.TooLarge, e.Status, "status");
            }
        }

        private static void LogHandler()
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
            var fetch = new Regex("^token request to " + Regex.Escape(baseUrl) + "/oauth2/token for scope '': HTTP 200 in [0-9]+ ms$");
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

        private static void BadArguments()
        {
            using (var client = NewClient())
            {
                Throws<ArgumentException>(() => client.Token("a\0b"), "NUL in a string");
                Throws<ArgumentException>(() => client.Token("\ud800"), "lone surrogate");
                Throws<ArgumentNullException>(() => client.Send(null, "/x"), "null method");
                Throws<ArgumentNullException>(() => client.Send("GET", null), "null path");
                Throws<ArgumentException>(() => client.Send("GET", "/x", null,
                    new Dictionary<string, string> { { "X-A", "1\r\nInjected: yes" } }), "CRLF in a header value");
                Throws<ArgumentException>(() => client.Send("GET", "/x", null,
                    new Dictionary<string, string> { { "Bad Name", "1" } }), "space in a header name");
                Throws<ArgumentException>(() => client.Send("GET", "/x", null,
                    new Dictionary<string, string> { { "X-A", null } }), "null header value");
                Throws<ArgumentNullException>(() => new Client(null), "new Client(null)");
                Equal(0, Stat("api_requests"), "nothing sent");
            }
        }

        private static void DisposedThrows()
        {
            var credentials = Credentials.FromFile(credentialsPath);
            var client = new Client(credentials);
            credentials.Dispose();
            Equal(200, client.Send("GET", "/x").Status, "client outlives its credentials");
            client.Dispose();
            Throws<ObjectDisposedException>(() => client.Token(), "Token on a disposed client");
            Throws<ObjectDisposedException>(() => client.Send("GET", "/x"), "Send on a disposed client");
            Throws<ObjectDisposedException>(() => new Client(credentials), "Client of disposed credentials");
            Throws<ObjectDisposedException>(() => credentials.ToBuilder(), "ToBuilder of disposed credentials");
            var builder = new CredentialsBuilder();
            builder.Dispose();
            Throws<ObjectDisposedException>(() => builder.Set("client_id", "x"), "Set on a disposed builder");
            Throws<ObjectDisposedException>(() => builder.Build(), "Build on a disposed builder");
        }

        private static void DisposeTwice()
        {
            var credentials = Credentials.FromFile(credentialsPath);
            var client = new Client(credentials);
            var builder = credentials.ToBuilder();
            client.Dispose();
            client.Dispose();
            credentials.Dispose();
            credentials.Dispose();
            builder.Dispose();
            builder.Dispose();
        }

        private static void Finalizers()
        {
            MakeGarbage();
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            using (var client = NewClient())
                Equal(200, client.Send("GET", "/x").Status, "still working after the finalizers ran");
        }

        private static void MakeGarbage()
        {
            for (int i = 0; i < 50; i++)
            {
                var credentials = Credentials.FromFile(credentialsPath);
                new Client(credentials).Token();
                credentials.ToBuilder().Set("scope", "s" + i);
            }
        }

        private static void ParallelTokens()
        {
            using (var client = NewClient())
            {
                var tokens = new string[200];
                Parallel.For(0, tokens.Length, new ParallelOptions { MaxDegreeOfParallelism = 64 },
                             i => { tokens[i] = client.Token(); });
                Check(tokens[0] != null && tokens[0].StartsWith("tok-", StringComparison.Ordinal), "a token");
                Equal(1, tokens.Distinct().Count(), "distinct tokens");
                Equal(1, Stat("token_requests"), "token requests");
            }
        }

        private static void DisposeDuringSends()
        {
            var client = NewClient();
            client.Token();
            int ok = 0, disposed = 0;
            var unexpected = new List<Exception>();
            var started = new CountdownEvent(8);
            var threads = Enumerable.Range(0, 8).Select(_ => new Thread(() =>
            {
                started.Signal();
                for (int i = 0; i < 10000; i++)
                {
                    try
                    {
                        if (client.Send("GET", "/x").Status == 200)
                            Interlocked.Increment(ref ok);
                    }
                    catch (ObjectDisposedException)
                    {
                        Interlocked.Increment(ref disposed);
                        return;
                    }
                    catch (Exception e)
                    {
                        lock (unexpected)
                            unexpected.Add(e);
                        return;
                    }
                }
            })).ToList();
            threads.ForEach(t => t.Start());
            started.Wait();
            Thread.Sleep(200);
            client.Dispose();
            threads.ForEach(t => t.Join());
            Check(unexpected.Count == 0, "only ObjectDisposedException: " + string.Join("; ", unexpected.Select(e => e.Message)));
            Equal(8, disposed, "every thread saw ObjectDisposedException");
            Check(ok > 0, "some sends completed before Dispose");
        }

        private static void TokenRefreshed()
        {
            Admin("POST", "/_admin/lifetime?secs=2", "");
            try
            {
                // The caller that finds the token stale fetches (refresh ahead would renew it in
                // the background, and this read could still get the old one).
                using (var client = NewClient(b => b.Set("refresh_ahead", "false")))
                {
                    // Lifetime 2 s: the margin is capped at half of it, so the token is stale after 1 s.
                    string first = client.Token();
                    Equal(first, client.Token(), "fresh at first");
                    Thread.Sleep(1500);
                    string second = client.Token();
                    Check(first != second, "a new token once stale");
                    Equal(second, client.Token(), "then cached again");
                    Equal(2, Stat("token_requests"), "token requests");
                }
            }
            finally
            {
                Admin("POST", "/_admin/lifetime?secs=3600", "");
            }
        }

        /// <summary>
        /// A listener on loopback that accepts connections and never answers: a token endpoint
        /// that stalls. Dispose() stops it and closes the connections.
        /// </summary>
        private sealed class StallingEndpoint : IDisposable
        {
            private readonly TcpListener listener = new TcpListener(System.Net.IPAddress.Loopback, 0);
            private readonly List<Socket> accepted = new List<Socket>();
            private readonly Thread thread;

            public StallingEndpoint()
            {
                listener.Start();
                thread = new Thread(() =>
                {
                    try
                    {
                        while (true)
                        {
                            Socket socket = listener.AcceptSocket();
                            lock (accepted)
                                accepted.Add(socket);
                        }
                    }
                    catch (SocketException) { }
                    catch (ObjectDisposedException) { }
                    catch (InvalidOperationException) { }
                });
                thread.IsBackground = true;
                thread.Start();
            }

            public string Origin { get { return "http://127.0.0.1:" + ((System.Net.IPEndPoint)listener.LocalEndpoint).Port; } }

            public int Accepted { get { lock (accepted) return accepted.Count; } }

            public void Dispose()
            {
                listener.Stop();
                thread.Join(5000);
                lock (accepted)
                    accepted.ForEach(socket => socket.Close());
            }
        }

        /// <summary>Waits for <paramref name="task"/> up to 5 s; it must end canceled.</summary>
        private static void WaitCanceled(Task task, string what)
        {
            try
            {
                task.Wait(5000);
            }
            catch (AggregateException e)
            {
                Check(e.InnerExceptions.Count == 1 && e.InnerException is TaskCanceledException,
                      what + ": canceled, not " + e.InnerException);
            }
            Check(task.IsCanceled, what + ": the task is canceled (status " + task.Status + ")");
        }

        private static void AsyncCancelledOnStalledEndpoint()
        {
            int unobserved = 0;
            EventHandler<UnobservedTaskExceptionEventArgs> onUnobserved = (sender, e) => Interlocked.Increment(ref unobserved);
            TaskScheduler.UnobservedTaskException += onUnobserved;
            try
            {
                using (var stall = new StallingEndpoint())
                {
                    Client client;
                    using (var file = Credentials.FromFile(credentialsPath))
                    using (var builder = file.ToBuilder().AuthEndpoint(stall.Origin)
                               .Timeout(TimeSpan.FromSeconds(2)).RetryDeadline(TimeSpan.FromSeconds(3)))
                    using (var credentials = builder.Build())
                        client = new Client(credentials);
                    Equal(0, Cancellable.Running, "no call running before");

                    var tasks = new List<Task>();
                    var clock = Stopwatch.StartNew();
                    foreach (string call in new[] { "TokenAsync", "SendAsync" })
                    {
                        var cts = new CancellationTokenSource();
                        cts.CancelAfter(100);
                        var start = clock.ElapsedMilliseconds;
                        Task task = call == "TokenAsync" ? (Task)client.TokenAsync(null, cts.Token)
                            : client.SendAsync("POST", "/documents", new byte[] { 1, 2 }, null, cts.Token);
                        WaitCanceled(task, call);
                        long took = clock.ElapsedMilliseconds - start;
                        Check(took >= 90 && took < 1000, call + " returned " + took + " ms after it started, cancelled at 100 ms");
                        Console.WriteLine("     " + call + ": cancelled at 100 ms, canceled after " + took + " ms");
                        tasks.Add(task);
                    }
                    Check(stall.Accepted > 0, "the stalling endpoint saw a connection");
                    Equal(2, Cancellable.Running, "the native calls still run in the background");

                    // Dispose does not block: the SafeHandle defers the free until the calls return.
                    var disposing = Stopwatch.StartNew();
                    client.Dispose();
                    Check(disposing.ElapsedMilliseconds < 500, "Dispose returned at once: " + disposing.ElapsedMilliseconds + " ms");
                    Check(!client.IsReleased, "the native client is not freed while calls hold it");
                    Throws<ObjectDisposedException>(() => client.TokenAsync(), "TokenAsync after Dispose");

                    // The calls end within retry_deadline (3 s) of their start; then the client is freed.
                    while ((Cancellable.Running > 0 || !client.IsReleased) && disposing.ElapsedMilliseconds < 6000)
                        Thread.Sleep(10);
                    Equal(0, Cancellable.Running, "the background calls ended");
                    Check(client.IsReleased, "the native client was freed once the calls ended");
                    long freedAfter = disposing.ElapsedMilliseconds;
                    Check(freedAfter > 1000 && freedAfter < 5000, "freed " + freedAfter + " ms after Dispose (retry_deadline 3 s)");
                    Console.WriteLine("     native client freed " + freedAfter + " ms after Dispose, " + clock.ElapsedMilliseconds + " ms after the first call");
                    Check(tasks.All(t => t.IsCanceled), "the tasks stay canceled");
                }
                GC.Collect();
                GC.WaitForPendingFinalizers();
                Equal(0, unobserved, "unobserved task exceptions (the background calls' timeouts are observed)");
                Equal(0, Stat("token_requests"), "token requests to the real server");
            }
            finally
            {
                TaskScheduler.UnobservedTaskException -= onUnobserved;
            }
        }

        private static void AsyncMatchesSync()
        {
            using (var client = NewClient())
            using (var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10)))
            {
                string viaAsync = client.TokenAsync(null, cts.Token).Result;
                Equal(client.Token(), viaAsync, "TokenAsync's token is Token's");
                Equal(viaAsync, client.TokenAsync().Result, "TokenAsync without a CancellationToken");
                string scoped = client.TokenAsync("machinelearning.predict", cts.Token).Result;
                Equal(client.Token("machinelearning.predict"), scoped, "scoped");
                Check(scoped != viaAsync, "a scope gets its own token");

                Response r = client.SendAsync("POST", "/documents?x=1", Encoding.UTF8.GetBytes("{\"a\":1}"),
                    new[] { new KeyValuePair<string, string>("X-Trace", "abc") }, cts.Token).Result;
                Equal(200, r.Status, "status");
                var echo = (Dictionary<string, object>)Json.Parse(r.BodyText);
                Equal("POST", (string)echo["method"], "method");
                Equal("/v1/documents", (string)echo["path"], "path");
                Equal("{\"a\":1}", (string)echo["body"], "body");
                var headers = (Dictionary<string, object>)echo["headers"];
                Equal("abc", (string)headers["x-trace"], "x-trace");
                Equal("Bearer " + viaAsync, (string)headers["authorization"], "bearer");

                var failed = client.SendAsync("GET", "https://elsewhere.example/x", null, null, cts.Token);
                try
                {
                    failed.Wait(5000);
                }
                catch (AggregateException e)
                {
                    var inner = e.InnerException as LucidAuthException;
                    Check(inner != null && inner.Status == LucidStatus.InsecureUrl, "a failure is the library's exception: " + e.InnerException);
                }
                Check(failed.IsFaulted, "a failed call faults the task");
                Equal(2, Stat("token_requests"), "token requests");
                Equal(1, Stat("api_requests"), "api requests");
            }
        }

        private static void AsyncAlreadyCancelled()
        {
            using (var client = NewClient())
            using (var cts = new CancellationTokenSource())
            {
                cts.Cancel();
                var clock = Stopwatch.StartNew();
                Task<string> token = client.TokenAsync(null, cts.Token);
                Task<Response> send = client.SendAsync("GET", "/x", null, null, cts.Token);
                Check(token.IsCanceled && send.IsCanceled, "canceled when returned");
                Check(clock.ElapsedMilliseconds < 50, "at once: " + clock.ElapsedMilliseconds + " ms");
                Equal(0, Cancellable.Running, "no native call started");
                Throws<ArgumentException>(() => client.TokenAsync("a\0b", cts.Token), "bad arguments are thrown, even when cancelled");
                Equal(0, Stat("token_requests"), "token requests");
                Equal(0, Stat("api_requests"), "api requests");
            }
        }

        // ---- helpers ------------------------------------------------------------------------------

        private static Client NewClient()
        {
            using (var credentials = Credentials.FromFile(credentialsPath))
                return new Client(credentials);
        }

        /// <summary>A client of the test credentials with some keys changed by <paramref name="change"/>.</summary>
        private static Client NewClient(Action<CredentialsBuilder> change)
        {
            using (var file = Credentials.FromFile(credentialsPath))
            using (var builder = new CredentialsBuilder(file))
            {
                change(builder);
                using (var credentials = builder.Build())
                    return new Client(credentials);
            }
        }

        private static void Test(string name, Action body)
        {
            try
            {
                var clock = Stopwatch.StartNew();
                Admin("POST", "/_admin/reset", "");
                body();
                passed++;
                Console.WriteLine("ok   " + name + " (" + clock.ElapsedMilliseconds + " ms)");
            }
            catch (Exception e)
            {
                failed++;
                Console.WriteLine("FAIL " + name + ": " + (e is CheckFailed ? e.Message : e.ToString()));
            }
        }

        private static void Check(bool condition, string what)
        {
            if (!condition)
                throw new CheckFailed(what);
        }

        private static void Equal<T>(T expected, T actual, string what)
        {
            if (!EqualityComparer<T>.Default.Equals(expected, actual))
                throw new CheckFailed(what + ": expected <" + expected + ">, got <" + actual + ">");
        }

        private static T Throws<T>(Action action, string what) where T : Exception
        {
            try
            {
                action();
            }
            catch (T e)
            {
                return e;
            }
            catch (Exception e)
            {
                throw new CheckFailed(what + ": expected " + typeof(T).Name + ", got " + e.GetType().Name + ": " + e.Message);
            }
            throw new CheckFailed(what + ": expected " + typeof(T).Name + ", nothing was thrown");
        }

        /// <summary>include/lucidauth.h: $LUCIDAUTH_HEADER (run_tests.sh sets it), else relative to the working directory.</summary>
        private static string HeaderText()
        {
            return File.ReadAllText(Environment.GetEnvironmentVariable("LUCIDAUTH_HEADER") ?? "include/lucidauth.h");
        }

        private static string Snake(string pascal)
        {
            var sb = new StringBuilder();
            for (int i = 0; i < pascal.Length; i++)
            {
                if (i > 0 && char.IsUpper(pascal[i]))
                    sb.Append('_');
                sb.Append(char.ToUpperInvariant(pascal[i]));
            }
            return sb.ToString();
        }

        // ---- the server and its admin endpoints ---------------------------------------------------

        private static Process StartServer(string path, string dir)
        {
            var info = new ProcessStartInfo(path)
            {
                Arguments = "--credentials-out \"" + credentialsPath + "\" --port-file \"" + Path.Combine(dir, "port")
                            + "\" --exit-on-stdin-eof",
                UseShellExecute = false,
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
            };
            Process server = Process.Start(info);
            string line = server.StandardOutput.ReadLine();
            if (line == null || !line.StartsWith("LISTENING ", StringComparison.Ordinal))
                throw new Exception("the server did not start: " + line);
            baseUrl = line.Substring("LISTENING ".Length).Trim();
            string port = File.ReadAllText(Path.Combine(dir, "port")).Trim();
            if (!baseUrl.EndsWith(":" + port, StringComparison.Ordinal))
                throw new Exception("port file " + port + " does not match " + baseUrl);
            if (!File.Exists(credentialsPath))
                throw new Exception("no credentials file at " + credentialsPath);
            return server;
        }

        private static void StopServer(Process server)
        {
            if (server == null)
                return;
            try
            {
                server.StandardInput.Close();
                if (!server.WaitForExit(5000))
                    server.Kill();
            }
            catch (InvalidOperationException)
            {
            }
        }

        private static int Stat(string name)
        {
            var stats = (Dictionary<string, object>)Json.Parse(Admin("GET", "/_admin/stats", null));
            return Convert.ToInt32((double)stats[name], CultureInfo.InvariantCulture);
        }

        private static void Script(string target, int status, string body, Dictionary<string, string> headers, int count)
        {
            var sb = new StringBuilder();
            sb.Append("{\"target\":").Append(Json.Quote(target));
            sb.Append(",\"status\":").Append(status.ToString(CultureInfo.InvariantCulture));
            sb.Append(",\"body\":").Append(Json.Quote(body));
            sb.Append(",\"count\":").Append(count.ToString(CultureInfo.InvariantCulture));
            if (headers != null)
                sb.Append(",\"headers\":{").Append(string.Join(",", headers.Select(h => Json.Quote(h.Key) + ":" + Json.Quote(h.Value)))).Append('}');
            sb.Append('}');
            Admin("POST", "/_admin/script", sb.ToString());
        }

        /// <summary>One admin request; returns the body; throws unless 2xx.</summary>
        /// <remarks>
        /// Plain HTTP/1.1 over a socket rather than HttpWebRequest: Mono 6.8's HttpWebRequest now
        /// and then fails a POST with "Operation aborted" after the server has handled it (the
        /// server answers with Connection: close), and retrying would queue a script twice.
        /// </remarks>
        private static string Admin(string method, string path, string body)
        {
            var uri = new Uri(baseUrl);
            byte[] content = Encoding.UTF8.GetBytes(body ?? "");
            var head = new StringBuilder();
            head.Append(method).Append(' ').Append(path).Append(" HTTP/1.1\r\n");
            head.Append("Host: ").Append(uri.Authority).Append("\r\n");
            head.Append("Connection: close\r\n");
            if (body != null)
            {
                head.Append("Content-Type: application/json\r\n");
                head.Append("Content-Length: ").Append(content.Length.ToString(CultureInfo.InvariantCulture)).Append("\r\n");
            }
            head.Append("\r\n");
            byte[] request = Encoding.ASCII.GetBytes(head.ToString()).Concat(content).ToArray();

            using (var tcp = new TcpClient())
            {
                tcp.Connect(uri.Host, uri.Port);
                tcp.ReceiveTimeout = 10000;
                tcp.SendTimeout = 10000;
                NetworkStream stream = tcp.GetStream();
                stream.Write(request, 0, request.Length);
                var answer = new MemoryStream();
                stream.CopyTo(answer); // the server closes the connection after each response
                string text = Encoding.UTF8.GetString(answer.ToArray());
                int split = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
                string statusLine = text.Substring(0, Math.Max(0, text.IndexOf("\r\n", StringComparison.Ordinal)));
                string[] parts = statusLine.Split(' ');
                int status;
                if (split < 0 || parts.Length < 2 || !int.TryParse(parts[1], out status))
                    throw new IOException("malformed admin response to " + method + " " + path + ": " + text);
                string responseBody = text.Substring(split + 4);
                if (status < 200 || status > 299)
                    throw new IOException(method + " " + path + " answered " + status + ": " + responseBody);
                return responseBody;
            }
        }
    }

    /// <summary>A minimal JSON reader (objects, arrays, strings, numbers, true/false/null) for the tests.</summary>
    internal sealed class Json
    {
        private readonly string text;
        private int pos;

        private Json(string text)
        {
            this.text = text;
        }

        /// <summary>Dictionary&lt;string, object&gt;, List&lt;object&gt;, string, double, bool or null.</summary>
        public static object Parse(string text)
        {
            var json = new Json(text);
            object value = json.Value();
            json.Space();
            if (json.pos != text.Length)
                throw new FormatException("trailing text in JSON at " + json.pos);
            return value;
        }

        public static string Quote(string s)
        {
            var sb = new StringBuilder("\"");
            foreach (char c in s)
            {
                if (c == '"' || c == '\\')
                    sb.Append('\\').Append(c);
                else if (c < ' ')
                    sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                else
                    sb.Append(c);
            }
            return sb.Append('"').ToString();
        }

        private void Space()
        {
            while (pos < text.Length && char.IsWhiteSpace(text[pos]))
                pos++;
        }

        private char Peek()
        {
            Space();
            if (pos >= text.Length)
                throw new FormatException("unexpected end of JSON");
            return text[pos];
        }

        private void Expect(char c)
        {
            if (Peek() != c)
                throw new FormatException("expected '" + c + "' at " + pos);
            pos++;
        }

        private object Value()
        {
            char c = Peek();
            if (c == '{')
            {
                pos++;
                var obj = new Dictionary<string, object>();
                if (Peek() == '}') { pos++; return obj; }
                while (true)
                {
                    string key = String();
                    Expect(':');
                    obj[key] = Value();
                    if (Peek() == ',') { pos++; continue; }
                    Expect('}');
                    return obj;
                }
            }
            if (c == '[')
            {
                pos++;
                var list = new List<object>();
                if (Peek() == ']') { pos++; return list; }
                while (true)
                {
                    list.Add(Value());
                    if (Peek() == ',') { pos++; continue; }
                    Expect(']');
                    return list;
                }
            }
            if (c == '"')
                return String();
            foreach (var literal in new[] { new KeyValuePair<string, object>("true", true),
                                            new KeyValuePair<string, object>("false", false),
                                            new KeyValuePair<string, object>("null", null) })
            {
                if (string.CompareOrdinal(text, pos, literal.Key, 0, literal.Key.Length) == 0)
                {
                    pos += literal.Key.Length;
                    return literal.Value;
                }
            }
            int start = pos;
            while (pos < text.Length && "+-0123456789.eE".IndexOf(text[pos]) >= 0)
                pos++;
            if (start == pos)
                throw new FormatException("unexpected '" + c + "' at " + pos);
            return double.Parse(text.Substring(start, pos - start), NumberStyles.Float, CultureInfo.InvariantCulture);
        }

        private string String()
        {
            Expect('"');
            var sb = new StringBuilder();
            while (true)
            {
                if (pos >= text.Length)
                    throw new FormatException("unterminated JSON string");
                char c = text[pos++];
                if (c == '"')
                    return sb.ToString();
                if (c != '\\')
                {
                    sb.Append(c);
                    continue;
                }
                char e = text[pos++];
                switch (e)
                {
                    case 'n': sb.Append('\n'); break;
                    case 't': sb.Append('\t'); break;
                    case 'r': sb.Append('\r'); break;
                    case 'b': sb.Append('\b'); break;
                    case 'f': sb.Append('\f'); break;
                    case 'u':
                        sb.Append((char)int.Parse(text.Substring(pos, 4), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                        pos += 4;
                        break;
                    default: sb.Append(e); break;
                }
            }
        }
    }
}
