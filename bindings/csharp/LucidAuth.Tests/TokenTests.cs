// Tokens: caching, scopes, long tokens, token endpoint errors, concurrency, refresh.

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
    public sealed class TokenTests : ServerTest
    {
        [Test(Description = "token is cached: one token request")]
        public void TokenIsCached()
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

        [Test(Description = "scoped tokens are cached per scope")]
        public void ScopedTokens()
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
        /// The server answers with a token of <paramref name="size"/> bytes ("long-" and then a to z
        /// over and over); Token returns exactly it, then again from the cache.
        /// </summary>
        [TestCase(Client.TokenBufferSize - 1)]
        [TestCase(Client.TokenBufferSize)]
        [TestCase(20000)]
        public void LongToken(int size)
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

        [Test(Description = "wrong secret: CredentialsRejected 401 invalid_client")]
        public void WrongSecret()
        {
            const string secret = "WRONG-s3cret-do-not-print";
            Credentials credentials;
            using (var good = Credentials.FromFile(CredentialsPath))
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

        [Test(Description = "token endpoint 400 invalid_scope details")]
        public void TokenEndpointOAuthError()
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

        [Test(Description = "token endpoint 503 is retried")]
        public void TokenEndpointRetried()
        {
            Script("token", 503, "busy", new Dictionary<string, string> { { "Retry-After", "0" } }, 1);
            using (var client = NewClient())
            {
                Check(client.Token().StartsWith("tok-", StringComparison.Ordinal), "token after a 503");
                Equal(2, Stat("token_requests"), "token requests");
            }
        }

        [Test(Description = "Parallel.For: 200 Token calls, 1 token request")]
        public void ParallelTokens()
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

        [Test(Description = "token refreshed near expiry")]
        public void TokenRefreshed()
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
    }
}
