#!/bin/sh
# Benchmark 4: cold start, from process start to a token printed, with hyperfine.
#
#   cold_start.sh LUCID_BIN HOME_DIR BASE_URL RUNS OUT_JSON
#
#   lucid   LUCID_BIN token, with HOME=HOME_DIR holding .lucidtech/credentials.cfg
#           (discovery, a new client, one token request, printing the token)
#   curl    the same token request by hand:
#           curl -s -X POST -u CLIENT_ID:CLIENT_SECRET -H 'Accept: application/json'
#                'BASE_URL/oauth2/token?grant_type=client_credentials'
#
# Both run without a shell (hyperfine -N), with HOME=HOME_DIR, after 3 warm-up runs; hyperfine
# writes every time to OUT_JSON.
#   lucid_cached   LUCID_BIN token with `use_cache = true` added to the same credentials, after
#           one run has stored the token: each process reads it from the shared cache on disk.
set -eu
[ $# -eq 5 ] || { echo "usage: cold_start.sh LUCID_BIN HOME_DIR BASE_URL RUNS OUT_JSON" >&2; exit 2; }
lucid=$1 home=$2 base=$3 runs=$4 out=$5
command -v hyperfine >/dev/null || { echo "cold_start.sh: hyperfine not found (apt-get install hyperfine)" >&2; exit 3; }
command -v curl >/dev/null || { echo "cold_start.sh: curl not found (apt-get install curl)" >&2; exit 3; }

cached=$(mktemp -d)
trap 'rm -rf "$cached"' EXIT
mkdir -p "$cached/.lucidtech"
cp "$home/.lucidtech/credentials.cfg" "$cached/.lucidtech/credentials.cfg"
printf 'use_cache = true\ncache_dir = %s/cache\n' "$cached" >> "$cached/.lucidtech/credentials.cfg"
HOME=$cached "$lucid" token >/dev/null

HOME=$home hyperfine -N --style none --warmup 3 --runs "$runs" --export-json "$out" \
    -n lucid "$lucid token" \
    -n lucid_cached "env HOME=$cached $lucid token" \
    -n curl "curl -s -X POST -u CLIENT_ID:CLIENT_SECRET -H 'Accept: application/json' '$base/oauth2/token?grant_type=client_credentials'" \
    >/dev/null
