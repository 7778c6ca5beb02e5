// Part of the C# binding of lucidauth: see README.md beside this project.

using System;

namespace LucidAuth
{
    /// <summary>
    /// A failure reported by the library, with the details of its <c>LucidError</c>. The message
    /// never contains a secret or a token.
    /// </summary>
    public class LucidAuthException : Exception
    {
        /// <summary>The status code.</summary>
        public LucidStatus Status { get; private set; }

        /// <summary>The name of the status, e.g. <c>LUCID_STATUS_TIMEOUT</c>.</summary>
        public string StatusName { get; private set; }

        /// <summary>The HTTP status of the answer that caused the failure; 0 when no server answered.</summary>
        public int HttpStatus { get; private set; }

        /// <summary>The OAuth <c>error</c> code from the token endpoint (e.g. <c>invalid_client</c>), or null.</summary>
        public string OAuthError { get; private set; }

        /// <summary>The OAuth <c>error_description</c> from the token endpoint, or null.</summary>
        public string OAuthErrorDescription { get; private set; }

        /// <summary>An exception with the given details (for tests and mocks; the binding makes its own).</summary>
        public LucidAuthException(LucidStatus status, string message, int httpStatus = 0,
                                  string oauthError = null, string oauthErrorDescription = null)
            : base(message)
        {
            Status = status;
            StatusName = Native.StatusName((int)status);
            HttpStatus = httpStatus;
            OAuthError = oauthError;
            OAuthErrorDescription = oauthErrorDescription;
        }
    }
}
