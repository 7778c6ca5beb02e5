// Part of the C# binding of lucidauth: see README.md beside this project.

using System;

namespace LucidAuth
{
    /// <summary>The level of a log line (the numbers of the C API).</summary>
    public enum LogLevel : int
    {
        /// <summary>Failures.</summary>
        Error = 1,
        /// <summary>Problems worth knowing about (e.g. a credentials file others can read).</summary>
        Warn = 2,
        /// <summary>One line per token fetch, retry and token renewal.</summary>
        Info = 3,
        /// <summary>Everything.</summary>
        Debug = 4,
    }
}
