// Part of the C# binding of lucidauth: see README.md beside this project.

using System;
using System.Threading;

namespace LucidAuth
{
    /// <summary>The library itself.</summary>
    public static class Library
    {
        // The one delegate ever handed to the library, kept alive in this static field for the
        // life of the process: the library holds only its function pointer, which the garbage
        // collector cannot see. Changing the handler only changes where it routes.
        private static readonly Native.LogCallback LogTrampoline = OnLog;
        private static readonly object LogGate = new object();
        private static volatile Action<LogLevel, string> logHandler;

        /// <summary>
        /// Sends the library's log lines of <paramref name="maxLevel"/> and more severe to
        /// <paramref name="handler"/> (process-wide; null stops it). The handler is called from
        /// whichever thread logs, possibly several at once: it must be thread-safe, must not call
        /// back into this library, and should be quick. Exceptions it throws are swallowed (they
        /// must not unwind into native code). Lines never hold a secret or a token. Independent of
        /// the <c>LUCIDAUTH_LOG</c> environment variable, which logs to stderr. When it returns, no
        /// call of the previous handler is still running (the library waits for them).
        /// </summary>
        public static void SetLogHandler(Action<LogLevel, string> handler, LogLevel maxLevel = LogLevel.Info)
        {
            if (handler != null && (maxLevel < LogLevel.Error || maxLevel > LogLevel.Debug))
                throw new ArgumentOutOfRangeException("maxLevel");
            lock (LogGate)
            {
                logHandler = handler;
                if (handler == null)
                    Native.lucid_set_log_callback(null, IntPtr.Zero, 0);
                else
                    Native.lucid_set_log_callback(LogTrampoline, IntPtr.Zero, (int)maxLevel);
            }
        }

        private static void OnLog(IntPtr userData, int level, IntPtr message)
        {
            try
            {
                Action<LogLevel, string> handler = logHandler;
                if (handler != null)
                    handler((LogLevel)level, Native.CopyUtf8(message));
            }
            catch (Exception)
            {
                // Nothing may unwind into the library.
            }
        }

        /// <summary>The native library's version, e.g. "0.1.0".</summary>
        public static string Version
        {
            get { return Native.CopyUtf8(Native.lucid_version()); }
        }

        /// <summary>The name of a status number, e.g. "LUCID_STATUS_TIMEOUT" ("LUCID_STATUS_UNKNOWN" for an unknown number).</summary>
        public static string StatusName(LucidStatus status)
        {
            return Native.StatusName((int)status);
        }
    }
}
