package lucidauth

// Unexported parts the tests of package lucidauth_test reach (test files cannot use cgo).

// CredentialsKeyAt is lucid_credentials_key, one index at a time.
var CredentialsKeyAt = credentialsKeyAt

// TokenBufferSize is the size of the buffer Token tries first.
const TokenBufferSize = tokenBufferSize
