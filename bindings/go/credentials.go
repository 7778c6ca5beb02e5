package lucidauth

/*
#include <stdlib.h>
#include "lucidauth.h"
*/
import "C"

import (
	"runtime"
	"sync"
)

// Credentials are complete, validated credentials (a LucidCredentials handle). Immutable and
// safe for concurrent use. Release them with Close; a Client made from them keeps its own copy,
// so they may be closed as soon as the clients are made.
type Credentials struct {
	mu  sync.RWMutex // read-held by every call using ptr, write-held by Close
	ptr *C.LucidCredentials
}

// wrapCredentials takes ownership of a new handle.
func wrapCredentials(ptr *C.LucidCredentials) *Credentials {
	c := &Credentials{ptr: ptr}
	runtime.SetFinalizer(c, (*Credentials).Close)
	return c
}

// created finishes a call that makes credentials.
func created(status C.LucidStatus, out *C.LucidCredentials, cerr *C.LucidError) (*Credentials, error) {
	if err := check(status, cerr); err != nil {
		return nil, err
	}
	if out == nil {
		return nil, newError(StatusInternal, "the library reported success but returned no credentials", nil)
	}
	return wrapCredentials(out), nil
}

// NewCredentials makes credentials with a client id and secret and every other key at its
// default (the Lucidtech endpoints, no api key, no scope).
func NewCredentials(clientID, clientSecret string) (*Credentials, error) {
	id, err := cString("client_id", clientID)
	if err != nil {
		return nil, err
	}
	defer freeCString(id)
	secret, err := cString("client_secret", clientSecret)
	if err != nil {
		return nil, err
	}
	defer freeCString(secret)
	var out *C.LucidCredentials
	var cerr *C.LucidError
	status := C.lucid_credentials_new(id, secret, &out, &cerr)
	return created(status, out, cerr)
}

// CredentialsFromFile reads profile profile ("" means "default") of the credentials file at
// path: INI, or the cradl SDK's JSON, told apart by content.
func CredentialsFromFile(path, profile string) (*Credentials, error) {
	cpath, err := cString("path", path)
	if err != nil {
		return nil, err
	}
	defer freeCString(cpath)
	cprofile, err := cOptionalString("profile", profile)
	if err != nil {
		return nil, err
	}
	defer freeCString(cprofile)
	var out *C.LucidCredentials
	var cerr *C.LucidError
	status := C.lucid_credentials_from_file(cpath, cprofile, &out, &cerr)
	return created(status, out, cerr)
}

// DiscoverCredentials finds credentials as the official SDKs do (lucid_credentials_discover: the
// environment, then the credentials files, in the order the README's "Where credentials are
// found" gives; the library holds that order, so this binding never restates it). An empty
// profile means LAS_PROFILE, else "default".
func DiscoverCredentials(profile string) (*Credentials, error) {
	cprofile, err := cOptionalString("profile", profile)
	if err != nil {
		return nil, err
	}
	defer freeCString(cprofile)
	var out *C.LucidCredentials
	var cerr *C.LucidError
	status := C.lucid_credentials_discover(cprofile, &out, &cerr)
	return created(status, out, cerr)
}

// Close releases the credentials. It is idempotent, and waits for calls using them (NewClient,
// a builder's Build) to finish. Clients made from them are not affected.
func (c *Credentials) Close() error {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ptr != nil {
		C.lucid_credentials_free(c.ptr)
		c.ptr = nil
		runtime.SetFinalizer(c, nil)
	}
	return nil
}

// CredentialKeys returns the name of every key of the credentials file and the builder
// ("client_id", "client_secret", "api_key", ...), in the order of the README's table. It asks
// the library (lucid_credentials_key), so the list is always the one the library accepts.
func CredentialKeys() []string {
	var keys []string
	for i := 0; ; i++ {
		key, ok := credentialsKeyAt(i)
		if !ok {
			return keys
		}
		keys = append(keys, key)
	}
}

// credentialsKeyAt is lucid_credentials_key: the name of key number i, false past the last.
func credentialsKeyAt(i int) (string, bool) {
	name := C.lucid_credentials_key(C.size_t(i))
	if name == nil {
		return "", false
	}
	return C.GoString(name), true
}

// CredentialsBuilder assembles credentials key by key, with the keys and values of the
// credentials file (CredentialKeys lists them; the README's table says what each means).
//
// It is a plain Go value holding no native resources (nothing to Close). Set only records the
// key; Build hands the keys to the library in the order they were set (a later Set of the same
// key wins) and reports the first bad key or value. Like strings.Builder, it is not for
// concurrent use.
type CredentialsBuilder struct {
	base     *Credentials
	settings [][2]string
}

// NewCredentialsBuilder starts from no keys at all.
func NewCredentialsBuilder() *CredentialsBuilder {
	return &CredentialsBuilder{}
}

// NewCredentialsBuilderFrom starts from the keys of base, to make a copy with some keys changed.
// base must still be open when Build is called.
func NewCredentialsBuilderFrom(base *Credentials) *CredentialsBuilder {
	if base == nil {
		// Build reports it, as for a closed base.
		base = &Credentials{}
	}
	return &CredentialsBuilder{base: base}
}

// Set records key = value and returns b, for chaining.
func (b *CredentialsBuilder) Set(key, value string) *CredentialsBuilder {
	b.settings = append(b.settings, [2]string{key, value})
	return b
}

// Build checks the keys and makes credentials from them. An unknown key or a bad value is an
// *Error with Code InvalidArgument; missing or inconsistent keys (no client_secret, say) give
// Config. The builder stays usable.
func (b *CredentialsBuilder) Build() (*Credentials, error) {
	builder, err := b.native()
	if err != nil {
		return nil, err
	}
	defer C.lucid_credentials_builder_free(builder)
	var out *C.LucidCredentials
	var cerr *C.LucidError
	status := C.lucid_credentials_builder_build(builder, &out, &cerr)
	return created(status, out, cerr)
}

// native makes a LucidCredentialsBuilder holding the keys (freed by the caller).
func (b *CredentialsBuilder) native() (*C.LucidCredentialsBuilder, error) {
	var builder *C.LucidCredentialsBuilder
	if b.base != nil {
		b.base.mu.RLock()
		if b.base.ptr != nil {
			builder = C.lucid_credentials_builder_from(b.base.ptr)
		}
		runtime.KeepAlive(b.base)
		closed := b.base.ptr == nil
		b.base.mu.RUnlock()
		if closed {
			return nil, closedError("the builder's base Credentials")
		}
	} else {
		builder = C.lucid_credentials_builder_new()
	}
	if builder == nil {
		return nil, newError(StatusInternal, "could not make a credentials builder (out of memory)", nil)
	}
	for _, kv := range b.settings {
		if err := setKey(builder, kv[0], kv[1]); err != nil {
			C.lucid_credentials_builder_free(builder)
			return nil, err
		}
	}
	return builder, nil
}

// setKey sets one key of a native builder.
func setKey(builder *C.LucidCredentialsBuilder, key, value string) error {
	ckey, err := cString("key", key)
	if err != nil {
		return err
	}
	defer freeCString(ckey)
	cvalue, err := cString("the value of key '"+key+"'", value)
	if err != nil {
		return err
	}
	defer freeCString(cvalue)
	var cerr *C.LucidError
	return check(C.lucid_credentials_builder_set(builder, ckey, cvalue, &cerr), cerr)
}
