// TokenAsync and SendAsync: cancellation.

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
    public sealed class AsyncTests : ServerTest
    {
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

        [Test(Description = "TokenAsync/SendAsync cancelled on a stalled token endpoint")]
        public void AsyncCancelledOnStalledEndpoint()
        {
            int unobserved = 0;
            EventHandler<UnobservedTaskExceptionEventArgs> onUnobserved = (sender, e) => Interlocked.Increment(ref unobserved);
            TaskScheduler.UnobservedTaskException += onUnobserved;
            try
            {
                using (var stall = new StallingEndpoint())
                {
                    Client client;
                    using (var file = Credentials.FromFile(CredentialsPath))
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

        [Test(Description = "TokenAsync/SendAsync without cancellation are Token/Send")]
        public void AsyncMatchesSync()
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

        [Test(Description = "TokenAsync/SendAsync with a cancelled token: canceled at once, no call")]
        public void AsyncAlreadyCancelled()
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
    }
}
