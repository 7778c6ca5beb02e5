// Assembly attributes that are not generated. The version attributes are: by the SDK from the
// project's <Version> (read from Cargo.toml), and by build.sh for the mcs build.

using System.Runtime.CompilerServices;

// The tests (bindings/csharp/LucidAuth.Tests) check internals: the token buffer's size, whether a
// disposed client's native handle has been freed, the number of background calls still running.
[assembly: InternalsVisibleTo("LucidAuth.Tests")]
