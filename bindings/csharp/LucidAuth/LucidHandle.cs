// Part of the C# binding of lucidauth: see README.md beside this project.

using System;
using System.Runtime.InteropServices;

namespace LucidAuth
{
    /// <summary>A native handle that is NULL when invalid; filled in once, after a successful call.</summary>
    internal abstract class LucidHandle : SafeHandle
    {
        protected LucidHandle() : base(IntPtr.Zero, true) { }

        // Set by Dispose(). A SafeHandle only counts as closed once no call holds it any more, and
        // until then it still lets new calls take it: this flag makes the wrappers refuse new
        // calls at once, while calls already running finish safely on the live handle.
        private volatile bool disposeRequested;

        public override bool IsInvalid { get { return handle == IntPtr.Zero; } }

        /// <summary>Whether Dispose() was called (or the handle was closed).</summary>
        internal bool IsDisposed { get { return disposeRequested || IsClosed; } }

        protected override void Dispose(bool disposing)
        {
            disposeRequested = true;
            base.Dispose(disposing);
        }

        // Stores the pointer a native call just returned. The SafeHandle object was allocated
        // before the call, so nothing can fail (and leak the pointer) between the two.
        internal void Take(IntPtr raw)
        {
            SetHandle(raw);
        }
    }

    internal sealed class CredentialsHandle : LucidHandle
    {
        public CredentialsHandle() { }
        protected override bool ReleaseHandle() { Native.lucid_credentials_free(handle); return true; }
    }

    internal sealed class CredentialsBuilderHandle : LucidHandle
    {
        public CredentialsBuilderHandle() { }
        protected override bool ReleaseHandle() { Native.lucid_credentials_builder_free(handle); return true; }
    }

    internal sealed class ClientHandle : LucidHandle
    {
        public ClientHandle() { }
        protected override bool ReleaseHandle() { Native.lucid_client_free(handle); return true; }
    }

    internal sealed class ResponseHandle : LucidHandle
    {
        public ResponseHandle() { }
        protected override bool ReleaseHandle() { Native.lucid_response_free(handle); return true; }
    }

    internal sealed class ErrorHandle : LucidHandle
    {
        public ErrorHandle() { }
        protected override bool ReleaseHandle() { Native.lucid_error_free(handle); return true; }
    }

    internal sealed class HeadersHandle : LucidHandle
    {
        public HeadersHandle() { }
        protected override bool ReleaseHandle() { Native.lucid_headers_free(handle); return true; }
    }
}
