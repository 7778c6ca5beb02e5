#!/bin/sh
# The main job: start the bundled local auth+API server on a free loopback port, give it a
# temporary home holding ~/.lucidtech/credentials.cfg, and run the C example tool against it.
# TLS=1: the server speaks HTTPS with a CA it makes at start; the credentials name it as ca_file
# (written beside them as ca.pem).
# Then the same without a shared secret: a second server that wants a private_key_jwt
# assertion and DPoP proofs, found through its issuer's metadata.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
home=$(mktemp -d)
pids=
cleanup() {
    for pid in $pids; do kill "$pid" 2>/dev/null || true; done
    rm -rf "$home"
}
trap cleanup EXIT INT TERM

scheme=http
tls=
if [ "${TLS:-}" = 1 ]; then
    scheme=https
    tls=--tls
fi

# start_server PORT_FILE CREDENTIALS_FILE [FLAGS...]: a server in the background, its port
# written to PORT_FILE once it listens.
start_server() {
    port_file=$1 credentials=$2
    shift 2
    "$here/target/release/lucid-testserver" $tls "$@" \
        --credentials-out "$credentials" --port-file "$port_file" >/dev/null &
    pids="$pids $!"
    i=0
    until [ -s "$port_file" ]; do
        i=$((i + 1))
        [ "$i" -le 100 ] || { echo "demo: the local server did not start" >&2; exit 1; }
        sleep 0.05
    done
}

start_server "$home/port" "$home/.lucidtech/credentials.cfg"
echo "local server on $scheme://127.0.0.1:$(cat "$home/port"); credentials in a temporary HOME"

echo '$ lucid token'
HOME="$home" "$here/build/lucid" token
echo '$ lucid request GET /documents?limit=1'
HOME="$home" "$here/build/lucid" request GET '/documents?limit=1'
echo

keyless="$home/keyless.cfg"
start_server "$home/keyless.port" "$keyless" --client-auth private_key_jwt \
    --client-key-out "$home/client-key.pem" --dpop --issuer-path /oauth2/demo
echo "a second server on $scheme://127.0.0.1:$(cat "$home/keyless.port"): private_key_jwt, DPoP, issuer metadata"
echo "\$ lucid --credentials keyless.cfg info   # client_auth = private_key_jwt, dpop = true, issuer = ..."
HOME="$home" "$here/build/lucid" --credentials "$keyless" info | head -3
echo '$ lucid --credentials keyless.cfg request GET /documents?limit=1'
HOME="$home" "$here/build/lucid" --credentials "$keyless" request GET '/documents?limit=1'
echo
