// Part of the C# binding of lucidauth: see README.md beside this project.

using System;

namespace LucidAuth
{
    /// <summary>
    /// Complete, immutable credentials; safe to use from many threads at once. Dispose them when no
    /// longer needed (clients keep their own copy, so that may be right after making a client).
    /// </summary>
    public sealed class Credentials : IDisposable
    {
        internal readonly CredentialsHandle Handle;

        internal Credentials(CredentialsHandle handle)
        {
            Handle = handle;
        }

        /// <summary>
        /// Finds credentials as the official SDKs do (<c>lucid_credentials_discover</c>: the
        /// environment, then the credentials files, in the order the README's "Where credentials
        /// are found" gives; the library holds that order, so this binding never restates it).
        /// Profile <paramref name="profile"/>, else <c>LAS_PROFILE</c>, else "default".
        /// </summary>
        /// <remarks>The native library reads the process environment: on .NET Core / .NET 5+,
        /// <c>Environment.SetEnvironmentVariable</c> does not change it (on Mono and .NET Framework it does).</remarks>
        public static Credentials Discover(string profile = null)
        {
            byte[] profileBytes = Native.Utf8OrNull(profile, "profile");
            var handle = new CredentialsHandle();
            IntPtr raw, err;
            int status = Native.lucid_credentials_discover(profileBytes, out raw, out err);
            return Wrap(handle, status, raw, err);
        }

        /// <summary>Reads profile <paramref name="profile"/> (null: "default") of the INI file at <paramref name="path"/>.</summary>
        public static Credentials FromFile(string path, string profile = null)
        {
            byte[] pathBytes = Native.Utf8(path, "path");
            byte[] profileBytes = Native.Utf8OrNull(profile, "profile");
            var handle = new CredentialsHandle();
            IntPtr raw, err;
            int status = Native.lucid_credentials_from_file(pathBytes, profileBytes, out raw, out err);
            return Wrap(handle, status, raw, err);
        }

        /// <summary>Credentials with an id and a secret and every other key at its default.</summary>
        public static Credentials Create(string clientId, string clientSecret)
        {
            byte[] id = Native.Utf8(clientId, "clientId");
            byte[] secret = Native.Utf8(clientSecret, "clientSecret");
            try
            {
                var handle = new CredentialsHandle();
                IntPtr raw, err;
                int status = Native.lucid_credentials_new(id, secret, out raw, out err);
                return Wrap(handle, status, raw, err);
            }
            finally
            {
                Array.Clear(secret, 0, secret.Length);
            }
        }

        /// <summary>A builder holding these credentials' keys, to make a copy with some keys changed.</summary>
        public CredentialsBuilder ToBuilder()
        {
            return new CredentialsBuilder(this);
        }

        /// <summary>Frees the native credentials. Calling it again does nothing.</summary>
        public void Dispose()
        {
            Handle.Dispose();
        }

        internal static Credentials Wrap(CredentialsHandle handle, int status, IntPtr raw, IntPtr err)
        {
            if (status != 0)
            {
                handle.Dispose();
                throw Native.Failure(status, err);
            }
            handle.Take(raw);
            return new Credentials(handle);
        }

        internal void ThrowIfDisposed()
        {
            if (Handle.IsDisposed)
                throw new ObjectDisposedException(typeof(Credentials).FullName);
        }
    }
}
