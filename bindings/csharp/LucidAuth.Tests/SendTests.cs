// API calls: what goes on the wire, responses, refused URLs and arguments.

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
    public sealed class SendTests : ServerTest
    {
        [Test(Description = "send: path, x-api-key, bearer, body, headers")]
        public void SendEchoes()
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

        [Test(Description = "send keeps the caller's header order")]
        public void SendKeepsHeaderOrder()
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

        [Test(Description = "send GET without body; response headers")]
        public void SendGet()
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

        [Test(Description = "scripted API 404 is a response, not an exception")]
        public void Scripted404()
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

        [Test(Description = "redirects are not followed")]
        public void RedirectNotFollowed()
        {
            using (var client = NewClient())
            {
                Response response = client.Send("GET", "/go/redirect");
                Equal(302, response.Status, "status");
                Equal(BaseUrl + "/elsewhere", response.Header("location"), "location");
                Equal(1, Stat("api_requests"), "api requests");
            }
        }

        [Test(Description = "revoked token is renewed once")]
        public void RevokedTokenRenewed()
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

        [Test(Description = "other origin refused")]
        public void OtherOriginRefused()
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

        [Test(Description = "response size cap: TooLarge")]
        public void ResponseTooLarge()
        {
            using (var builder = Credentials.FromFile(CredentialsPath).ToBuilder())
            using (var credentials = builder.MaxResponseBytes(16).Build())
            using (var client = new Client(credentials))
            {
                var e = Throws<LucidAuthException>(() => client.Send("GET", "/a/long/enough/path"), "Send with a 16-byte cap");
                Equal(LucidStatus.TooLarge, e.Status, "status");
            }
        }

        [Test(Description = "bad managed arguments")]
        public void BadArguments()
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
    }
}
