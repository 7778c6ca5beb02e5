// AuthorizationHandler: the requests of the caller's own HttpClient, authorized.

using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using NUnit.Framework;

namespace LucidAuth.Tests
{
    [TestFixture]
    public sealed class AuthorizationHandlerTests : ServerTest
    {
        private static string ApiUrl(string path)
        {
            return BaseUrl + "/v1" + path;
        }

        /// <summary>The recorded API requests (kind "api"), oldest first.</summary>
        private static List<Dictionary<string, object>> ApiRequests()
        {
            return ((List<object>)Json.Parse(Admin("GET", "/_admin/requests", null)))
                .Cast<Dictionary<string, object>>().Where(r => (string)r["kind"] == "api").ToList();
        }

        /// <summary>The values of header <paramref name="name"/> (any case) of a recorded request.</summary>
        private static List<string> HeaderValues(Dictionary<string, object> request, string name)
        {
            return ((List<object>)request["headers"]).Cast<List<object>>()
                .Where(h => string.Equals((string)h[0], name, StringComparison.OrdinalIgnoreCase))
                .Select(h => (string)h[1]).ToList();
        }

        private static HttpStatusCode Get(HttpClient http, string url)
        {
            using (HttpResponseMessage answer = http.GetAsync(url).GetAwaiter().GetResult())
                return answer.StatusCode;
        }

        [Test(Description = "exactly one x-api-key and one Authorization (the client's token); the caller's headers kept, its Authorization replaced")]
        public void SendsTheHeaders()
        {
            using (Client client = NewClient())
            using (var http = new HttpClient(new AuthorizationHandler(client)))
            {
                var request = new HttpRequestMessage(HttpMethod.Get, ApiUrl("/documents?limit=1"));
                request.Headers.TryAddWithoutValidation("X-Test-Trace", "abc");
                request.Headers.TryAddWithoutValidation("Authorization", "Bearer stale-from-the-caller");
                using (HttpResponseMessage answer = http.SendAsync(request).GetAwaiter().GetResult())
                    Equal(HttpStatusCode.OK, answer.StatusCode, "status");
                string token = client.Token();
                List<Dictionary<string, object>> api = ApiRequests();
                Equal(1, api.Count, "API requests");
                Equal("/v1/documents", (string)api[0]["path"], "path");
                Equal("limit=1", (string)api[0]["query"], "query");
                Equal("Bearer " + token, string.Join("|", HeaderValues(api[0], "authorization")), "Authorization, once");
                Equal("API_KEY", string.Join("|", HeaderValues(api[0], "x-api-key")), "x-api-key, once");
                Equal("abc", string.Join("|", HeaderValues(api[0], "x-test-trace")), "the caller's header");
                Equal(1, Stat("token_requests"), "token requests");
            }
        }

        [Test(Description = "20 GETs, the token revoked after the 10th: 20 answers 200, 2 token requests, 21 API requests")]
        public void RenewsARevokedTokenOnce()
        {
            using (Client client = NewClient())
            using (var http = new HttpClient(new AuthorizationHandler(client, new HttpClientHandler())))
            {
                int ok = 0;
                for (int i = 1; i <= 20; i++)
                {
                    if (Get(http, ApiUrl("/documents")) == HttpStatusCode.OK)
                        ok++;
                    if (i == 10)
                        Admin("POST", "/_admin/revoke", "");
                }
                Equal(20, ok, "answers 200");
                Equal(2, Stat("token_requests"), "token requests");
                Equal(21, Stat("api_requests"), "API requests");
                Equal(1UL, client.Stats().UnauthorizedRefetches, "UnauthorizedRefetches");
            }
        }

        [Test(Description = "8 requests at once meet the same revoked token: 1 new token request")]
        public void Concurrent401sMakeOneFetch()
        {
            using (Client client = NewClient())
            using (var http = new HttpClient(new AuthorizationHandler(client)))
            {
                Get(http, ApiUrl("/documents"));
                Admin("POST", "/_admin/revoke", "");
                Task<HttpResponseMessage>[] calls = Enumerable.Range(0, 8)
                    .Select(_ => http.GetAsync(ApiUrl("/documents"))).ToArray();
                Task.WaitAll(calls);
                Check(calls.All(c => c.Result.StatusCode == HttpStatusCode.OK),
                      "every answer 200: " + string.Join(",", calls.Select(c => (int)c.Result.StatusCode)));
                Equal(2, Stat("token_requests"), "token requests");
            }
        }

        [Test(Description = "after a 401 a StringContent is sent again; a stream is not (the 401 is returned)")]
        public void ReplaysOnlyBufferedContent()
        {
            using (Client client = NewClient())
            using (var http = new HttpClient(new AuthorizationHandler(client)))
            {
                Get(http, ApiUrl("/documents"));
                Admin("POST", "/_admin/revoke", "");
                using (HttpResponseMessage answer = http.PostAsync(ApiUrl("/documents"),
                    new StringContent("{\"n\":1}", Encoding.UTF8, "application/json")).GetAwaiter().GetResult())
                    Equal(HttpStatusCode.OK, answer.StatusCode, "StringContent after a 401");
                Dictionary<string, object> resent = ApiRequests().Last();
                Equal("{\"n\":1}", (string)resent["body"], "the body sent again");
                Equal(2, Stat("token_requests"), "token requests");
                Equal(3, Stat("api_requests"), "API requests");

                Admin("POST", "/_admin/revoke", "");
                var stream = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes("{\"n\":2}")));
                using (HttpResponseMessage answer = http.PostAsync(ApiUrl("/documents"), stream).GetAwaiter().GetResult())
                    Equal(HttpStatusCode.Unauthorized, answer.StatusCode, "StreamContent: the 401");
                Equal(2, Stat("token_requests"), "dropped, not fetched again yet");
                Equal(HttpStatusCode.OK, Get(http, ApiUrl("/documents")), "the next request");
                Equal(3, Stat("token_requests"), "token requests");
            }
        }

        [Test(Description = "a request to another origin goes out untouched: no token, no api key, nothing fetched")]
        public void LeavesOtherOriginsAlone()
        {
            using (var other = new OneAnswerServer())
            using (Client client = NewClient())
            using (var http = new HttpClient(new AuthorizationHandler(client)))
            {
                var request = new HttpRequestMessage(HttpMethod.Get, other.Origin + "/v1/documents");
                request.Headers.TryAddWithoutValidation("X-Test-Trace", "abc");
                using (HttpResponseMessage answer = http.SendAsync(request).GetAwaiter().GetResult())
                    Equal(HttpStatusCode.NoContent, answer.StatusCode, "status");
                string head = other.Request();
                Check(head.StartsWith("GET /v1/documents HTTP/1.1\r\n", StringComparison.Ordinal), "the request: " + head);
                Check(head.IndexOf("\r\nX-Test-Trace: abc\r\n", StringComparison.OrdinalIgnoreCase) >= 0, "the caller's header: " + head);
                Check(head.IndexOf("authorization", StringComparison.OrdinalIgnoreCase) < 0, "no Authorization: " + head);
                Check(head.IndexOf("x-api-key", StringComparison.OrdinalIgnoreCase) < 0, "no x-api-key: " + head);
                Equal(0, Stat("token_requests"), "token requests");
            }
        }

        [Test(Description = "a null client, a disposed client")]
        public void NullAndDisposedClients()
        {
            Throws<ArgumentNullException>(() => new AuthorizationHandler(null), "null client");
            Throws<ArgumentNullException>(() => new AuthorizationHandler(null, new HttpClientHandler()), "null client, inner handler");
            Client client = NewClient();
            client.Dispose();
            using (var http = new HttpClient(new AuthorizationHandler(client)))
                Throws<ObjectDisposedException>(() => http.GetAsync(ApiUrl("/documents")).GetAwaiter().GetResult(), "disposed client");
            Equal(0, Stat("token_requests"), "token requests");
            Equal(0, Stat("api_requests"), "API requests");
        }

        /// <summary>A loopback HTTP server that answers one request 204 and keeps its head.</summary>
        private sealed class OneAnswerServer : IDisposable
        {
            private readonly TcpListener listener = new TcpListener(IPAddress.Loopback, 0);
            private readonly Task<string> request;

            public OneAnswerServer()
            {
                listener.Start();
                request = Task.Run(() => Serve());
            }

            public string Origin { get { return "http://127.0.0.1:" + ((IPEndPoint)listener.LocalEndpoint).Port; } }

            /// <summary>The head of the request it answered (waits up to 10 s).</summary>
            public string Request()
            {
                Check(request.Wait(10000), "the other origin saw a request");
                return request.Result;
            }

            private string Serve()
            {
                using (TcpClient tcp = listener.AcceptTcpClient())
                {
                    NetworkStream stream = tcp.GetStream();
                    var head = new StringBuilder();
                    var buffer = new byte[4096];
                    while (head.ToString().IndexOf("\r\n\r\n", StringComparison.Ordinal) < 0)
                    {
                        int n = stream.Read(buffer, 0, buffer.Length);
                        if (n == 0)
                            break;
                        head.Append(Encoding.ASCII.GetString(buffer, 0, n));
                    }
                    byte[] answer = Encoding.ASCII.GetBytes("HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
                    stream.Write(answer, 0, answer.Length);
                    return head.ToString();
                }
            }

            public void Dispose()
            {
                listener.Stop();
            }
        }
    }
}
