// Credentials: files, discovery, the builder.

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
    public sealed class CredentialsTests : ServerTest
    {
        [Test(Description = "missing profile: Config")]
        public void MissingProfile()
        {
            var e = Throws<LucidAuthException>(() => Credentials.FromFile(CredentialsPath, "no-such-profile"),
                                               "FromFile with a missing profile");
            Equal(LucidStatus.Config, e.Status, "status from FromFile");
            Equal("LUCID_STATUS_CONFIG", e.StatusName, "status name");
            Equal(0, e.HttpStatus, "no http status");
            Equal(null, e.OAuthError, "no oauth error");
            var e2 = Throws<LucidAuthException>(() => Credentials.Discover("no-such-profile"), "Discover with a missing profile");
            Equal(LucidStatus.Config, e2.Status, "status from Discover");
        }

        [Test(Description = "missing file")]
        public void MissingFile()
        {
            var e = Throws<LucidAuthException>(() => Credentials.FromFile(CredentialsPath + ".missing"), "FromFile of a missing file");
            Check(e.Status == LucidStatus.Io || e.Status == LucidStatus.Config, "status Io or Config: " + e.Status);
        }

        [Test(Description = "Discover via LAS_CREDENTIALS_FILE")]
        public void Discover()
        {
            using (var credentials = Credentials.Discover())
            using (var client = new Client(credentials))
            {
                Equal(200, client.Send("GET", "/documents").Status, "status");
            }
        }

        [Test(Description = "Create + ToBuilder")]
        public void CreateAndToBuilder()
        {
            using (var created = Credentials.Create("CLIENT_ID", "CLIENT_SECRET"))
            using (var builder = created.ToBuilder())
            using (var credentials = builder.AuthEndpoint(BaseUrl).ApiEndpoint(BaseUrl + "/v1").ApiKey("API_KEY").Build())
            using (var client = new Client(credentials))
            {
                Equal(200, client.Send("GET", "/x").Status, "status");
                Equal(1, Stat("token_requests"), "token requests");
            }
            Throws<ArgumentNullException>(() => Credentials.Create(null, "s"), "Create(null, ...)");
            var e = Throws<LucidAuthException>(() => Credentials.Create("", "CLIENT_SECRET"), "Create with an empty id");
            Check(e.Status == LucidStatus.Config || e.Status == LucidStatus.InvalidArgument, "status: " + e.Status);
        }

        [Test(Description = "builder: every key of the credentials file")]
        public void BuilderEveryKey()
        {
            const string caFile = "/etc/ssl/certs/ca-certificates.crt";
            var values = new Dictionary<string, string>
            {
                { "client_id", "CLIENT_ID" },
                { "client_secret", "CLIENT_SECRET" },
                { "api_key", "API_KEY" },
                { "auth_endpoint", BaseUrl },
                { "api_endpoint", BaseUrl + "/v1" },
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
                // Read only with client_auth = private_key_jwt (the client above sends its secret).
                { "client_key_file", "/nonexistent/client-key.pem" },
                { "client_key_id", "key-1" },
                { "client_assertion_audience", BaseUrl },
                // Instead of auth_endpoint, never with it: set last, the build then refuses both.
                { "issuer", BaseUrl },
                { "dpop", "false" },
                // Read only with dpop = true.
                { "dpop_key_file", "/nonexistent/dpop-key.pem" },
            };
            Equal(CredentialKeys.All.Count, values.Count, "every key is covered");
            using (var builder = new CredentialsBuilder())
            {
                foreach (string key in CredentialKeys.All)
                {
                    if (key == CredentialKeys.CaFile && !File.Exists(caFile))
                        continue; // no PEM bundle on this machine to point at
                    if (key == CredentialKeys.Issuer)
                        continue;
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
                builder.Set(CredentialKeys.Issuer, values[CredentialKeys.Issuer]);
                var both = Throws<LucidAuthException>(() => builder.Build(), "issuer with auth_endpoint");
                Equal(LucidStatus.Config, both.Status, "issuer with auth_endpoint: status");
            }
        }

        [Test(Description = "builder: typed setters")]
        public void BuilderTyped()
        {
            using (var builder = new CredentialsBuilder())
            {
                builder.ClientId("CLIENT_ID").ClientSecret("CLIENT_SECRET").ApiKey("API_KEY")
                       .AuthEndpoint(BaseUrl + "/oauth2/token").ApiEndpoint(BaseUrl + "/v1")
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

        [Test(Description = "builder: bad keys and values")]
        public void BuilderRejects()
        {
            using (var builder = Credentials.FromFile(CredentialsPath).ToBuilder())
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
    }
}
