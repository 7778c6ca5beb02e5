// Dispose, finalizers, Dispose during calls.

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
    public sealed class LifetimeTests : ServerTest
    {
        [Test(Description = "disposed objects throw ObjectDisposedException")]
        public void DisposedThrows()
        {
            var credentials = Credentials.FromFile(CredentialsPath);
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

        [Test(Description = "Dispose twice is fine")]
        public void DisposeTwice()
        {
            var credentials = Credentials.FromFile(CredentialsPath);
            var client = new Client(credentials);
            var builder = credentials.ToBuilder();
            client.Dispose();
            client.Dispose();
            credentials.Dispose();
            credentials.Dispose();
            builder.Dispose();
            builder.Dispose();
        }

        [Test(Description = "finalizers free what was not disposed")]
        public void Finalizers()
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
                var credentials = Credentials.FromFile(CredentialsPath);
                new Client(credentials).Token();
                credentials.ToBuilder().Set("scope", "s" + i);
            }
        }

        [Test(Description = "Dispose during parallel sends")]
        public void DisposeDuringSends()
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
    }
}
