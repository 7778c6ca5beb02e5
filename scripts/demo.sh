#!/bin/sh
# The main job: start the bundled local auth+API server on a free loopback port, give it a
# temporary home holding ~/.lucidtech/credentials.cfg, and run the C example tool against it.
# TLS=1: the server speaks HTTPS with a CA it makes at start; the credentials name it as ca_file
# (written beside them as ca.pem).
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
home=$(mktemp -d)
server_pid=
cleanup() {
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
    rm -rf "$home"
}
trap cleanup EXIT INT TERM

scheme=http
set --
if [ "${TLS:-}" = 1 ]; then
    scheme=https
    set -- --tls
fi
"$here/target/release/lucid-testserver" "$@" \
    --credentials-out "$home/.lucidtech/credentials.cfg" --port-file "$home/port" >/dev/null &
server_pid=$!
i=0
until [ -s "$home/port" ]; do
    i=$((i + 1))
    [ "$i" -le 100 ] || { echo "demo: the local server did not start" >&2; exit 1; }
    sleep 0.05
done
echo "local server on $scheme://127.0.0.1:$(cat "$home/port"); credentials in a temporary HOME"

echo '$ lucid token'
HOME="$home" "$here/build/lucid" token
echo '$ lucid request GET /documents?limit=1'
HOME="$home" "$here/build/lucid" request GET '/documents?limit=1'
echo
