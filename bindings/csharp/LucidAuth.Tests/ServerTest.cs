// The tests' local server (lucid-testserver, one for the whole run) and the helpers every
// fixture uses. The server is $LUCID_TESTSERVER (run_tests.sh sets it), else
// target/release/lucid-testserver; the header is $LUCIDAUTH_HEADER, else include/lucidauth.h.

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using NUnit.Framework;

namespace LucidAuth.Tests
{
    /// <summary>Starts the server before the first fixture of the namespace, stops it after the last.</summary>
    [SetUpFixture]
    public sealed class TestServer
    {
        private Process server;
        private string dir;

        internal static string BaseUrl { get; private set; }
        internal static string CredentialsPath { get; private set; }

        [SetUp]
        public void Start()
        {
            string path = Environment.GetEnvironmentVariable("LUCID_TESTSERVER") ?? "target/release/lucid-testserver";
            dir = Path.Combine(Path.GetTempPath(), "lucidauth-cs-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(dir);
            CredentialsPath = Path.Combine(dir, "credentials.cfg");
            ThreadPool.SetMinThreads(64, 64);
            server = StartServer(path, dir);
            // Discover() reads the process environment; on Mono this reaches the native library.
            foreach (string name in new[] { "LAS_CLIENT_ID", "LAS_CLIENT_SECRET", "LAS_API_KEY",
                                            "LAS_AUTH_ENDPOINT", "LAS_API_ENDPOINT", "LAS_PROFILE" })
                Environment.SetEnvironmentVariable(name, null);
            Environment.SetEnvironmentVariable("LAS_CREDENTIALS_FILE", CredentialsPath);
        }

        [TearDown]
        public void Stop()
        {
            StopServer(server);
            try { Directory.Delete(dir, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }

        private static Process StartServer(string path, string dir)
        {
            var info = new ProcessStartInfo(path)
            {
                Arguments = "--credentials-out \"" + CredentialsPath + "\" --port-file \"" + Path.Combine(dir, "port")
                            + "\" --exit-on-stdin-eof",
                UseShellExecute = false,
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
            };
            Process server = Process.Start(info);
            string line = server.StandardOutput.ReadLine();
            if (line == null || !line.StartsWith("LISTENING ", StringComparison.Ordinal))
                throw new Exception("the server did not start: " + line);
            BaseUrl = line.Substring("LISTENING ".Length).Trim();
            string port = File.ReadAllText(Path.Combine(dir, "port")).Trim();
            if (!BaseUrl.EndsWith(":" + port, StringComparison.Ordinal))
                throw new Exception("port file " + port + " does not match " + BaseUrl);
            if (!File.Exists(CredentialsPath))
                throw new Exception("no credentials file at " + CredentialsPath);
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
    }

    /// <summary>A fixture against the local server, reset before each test.</summary>
    public abstract class ServerTest
    {
        protected static string BaseUrl { get { return TestServer.BaseUrl; } }
        protected static string CredentialsPath { get { return TestServer.CredentialsPath; } }

        [SetUp]
        public void ResetServer()
        {
            Admin("POST", "/_admin/reset", "");
        }

        // ---- clients ------------------------------------------------------------------------------

        protected static Client NewClient()
        {
            using (var credentials = Credentials.FromFile(CredentialsPath))
                return new Client(credentials);
        }

        /// <summary>A client of the test credentials with some keys changed by <paramref name="change"/>.</summary>
        protected static Client NewClient(Action<CredentialsBuilder> change)
        {
            using (var file = Credentials.FromFile(CredentialsPath))
            using (var builder = new CredentialsBuilder(file))
            {
                change(builder);
                using (var credentials = builder.Build())
                    return new Client(credentials);
            }
        }

        // ---- assertions (NUnit's, with the argument order the tests were written in) ---------------

        protected static void Check(bool condition, string what)
        {
            Assert.IsTrue(condition, what);
        }

        protected static void Equal<T>(T expected, T actual, string what)
        {
            Assert.AreEqual(expected, actual, what);
        }

        /// <summary>The exception of type <typeparamref name="T"/> (or derived) that <paramref name="action"/> throws.</summary>
        protected static T Throws<T>(Action action, string what) where T : Exception
        {
            return Assert.Catch<T>(() => action(), what);
        }

        /// <summary>include/lucidauth.h: $LUCIDAUTH_HEADER (run_tests.sh sets it), else relative to the working directory.</summary>
        protected static string HeaderText()
        {
            return File.ReadAllText(Environment.GetEnvironmentVariable("LUCIDAUTH_HEADER") ?? "include/lucidauth.h");
        }

        protected static string Snake(string pascal)
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

        // ---- the server's admin endpoints ---------------------------------------------------------

        protected static int Stat(string name)
        {
            var stats = (Dictionary<string, object>)Json.Parse(Admin("GET", "/_admin/stats", null));
            return Convert.ToInt32((double)stats[name], CultureInfo.InvariantCulture);
        }

        protected static void Script(string target, int status, string body, Dictionary<string, string> headers, int count)
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
        protected static string Admin(string method, string path, string body)
        {
            var uri = new Uri(BaseUrl);
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
}
