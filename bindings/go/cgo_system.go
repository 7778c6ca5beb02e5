//go:build lucidauth_system

package lucidauth

// With `-tags lucidauth_system`, the header and library come from an installed copy described
// by lucidauth.pc (set PKG_CONFIG_PATH to the directory holding it).

/*
#cgo pkg-config: lucidauth
*/
import "C"
