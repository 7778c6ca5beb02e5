// Part of the C# binding of lucidauth: see README.md beside this project.

using System;

namespace LucidAuth
{
    /// <summary>The token a client holds for one scope, as of a <see cref="Client.Stats"/> snapshot.</summary>
    public sealed class ScopeStats
    {
        /// <summary>The token's scope ("" for none).</summary>
        public string Scope { get; private set; }
        /// <summary>Where the token came from: "token endpoint", "shared cache" or "pre-issued".</summary>
        public string Origin { get; private set; }
        /// <summary>Until the token enters its refresh window (zero once it has).</summary>
        public TimeSpan RefreshIn { get; private set; }
        /// <summary>Until the token expires (zero once it has).</summary>
        public TimeSpan ExpiresIn { get; private set; }

        internal ScopeStats(string scope, string origin, TimeSpan refreshIn, TimeSpan expiresIn)
        {
            Scope = scope;
            Origin = origin;
            RefreshIn = refreshIn;
            ExpiresIn = expiresIn;
        }
    }
}
