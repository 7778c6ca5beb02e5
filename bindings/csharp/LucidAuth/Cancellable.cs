// Part of the C# binding of lucidauth: see README.md beside this project.

using System;
using System.Threading;
using System.Threading.Tasks;

namespace LucidAuth
{
    /// <summary>Runs a native call on the thread pool, waited for until a CancellationToken says stop.</summary>
    internal static class Cancellable
    {
        private static int running;

        /// <summary>How many native calls started by <c>Run</c> are still running (for the tests).</summary>
        internal static int Running { get { return Volatile.Read(ref running); } }

        /// <summary>
        /// A task for <c>take(call())</c>, run on the thread pool. When <paramref name="ct"/> is
        /// cancelled first the task is canceled at once; the call goes on, and its result is given
        /// to <paramref name="discard"/> when it ends (its exception, if any, is observed and
        /// dropped). A token cancelled already gives a canceled task without running the call.
        /// </summary>
        internal static Task<T> Run<R, T>(Func<R> call, Func<R, T> take, Action<R> discard, CancellationToken ct)
        {
            if (ct.IsCancellationRequested)
            {
                var canceled = new TaskCompletionSource<T>();
                canceled.TrySetCanceled(ct);
                return canceled.Task;
            }
            Interlocked.Increment(ref running);
            Task<R> work = Task.Run(() =>
            {
                try
                {
                    return call();
                }
                finally
                {
                    Interlocked.Decrement(ref running);
                }
            });
            // The caller's continuations run on the thread pool: never inline in Cancel(), nor here.
            var result = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
            CancellationTokenRegistration registration = ct.Register(() => result.TrySetCanceled(ct));
            work.ContinueWith(done =>
            {
                registration.Dispose();
                if (done.IsFaulted)
                {
                    result.TrySetException(done.Exception.InnerExceptions);
                    return;
                }
                if (done.IsCanceled)
                {
                    result.TrySetCanceled();
                    return;
                }
                // Taken only when the caller still waits; the result is the caller's once set.
                if (result.Task.IsCompleted)
                {
                    discard(done.Result);
                    return;
                }
                T value;
                try
                {
                    value = take(done.Result);
                }
                catch (Exception e)
                {
                    result.TrySetException(e);
                    return;
                }
                if (!result.TrySetResult(value))
                    discard(done.Result); // cancelled in between
            }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            return result.Task;
        }
    }
}
