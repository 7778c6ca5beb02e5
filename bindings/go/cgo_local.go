//go:build !lucidauth_system

package lucidauth

// By default the binding builds against this checkout: the header in include/ and the library
// that `cargo build --release --workspace` leaves in target/release (found at run time through
// an rpath, so no LD_LIBRARY_PATH is needed). Build with `-tags lucidauth_system` to use an
// installed library through pkg-config instead (see README.md).

/*
#cgo CFLAGS: -I${SRCDIR}/../../include
#cgo LDFLAGS: -L${SRCDIR}/../../target/release -llucidauth -Wl,-rpath,${SRCDIR}/../../target/release
*/
import "C"
