// A strict third-party authorization server for lucidauth's interop test (tests/oidc_provider.rs):
// panva's oidc-provider (a certified OpenID Provider) with the client credentials grant, every
// client authentication method lucidauth speaks, and DPoP with nonces required; plus a small
// protected resource and a counter of what arrived.
//
//   node server.mjs RSA_PUBLIC_PEM EC_PUBLIC_PEM
//
// Listens on 127.0.0.1 at a free port and prints `LISTENING <port>` once it serves. The issuer is
// `http://127.0.0.1:<port>`; the metadata is at /.well-known/openid-configuration only.
//   GET  /api/whoami  the token's client and scope; a DPoP-bound token only as `DPoP` with a proof
//                     (checked: signature, typ, alg, htm, htu, iat, ath, jkt, fresh jti)
//   GET  /_stats      requests by path, token grants issued and refused (with the error codes)
// Stops on SIGTERM, or when stdin closes (the test that started it ended).

import { createHash, createPublicKey, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import * as jose from 'jose';
import Provider from 'oidc-provider';

const [rsaPem, ecPem] = process.argv.slice(2);
if (!rsaPem || !ecPem) {
  console.error('usage: node server.mjs RSA_PUBLIC_PEM EC_PUBLIC_PEM');
  process.exit(2);
}

// The secrets the test's credentials carry. `reserved` has characters that RFC 6749 §2.3.1 wants
// form-urlencoded inside the Basic header (lucidauth's `client_auth = basic_urlencoded`).
export const SECRETS = {
  basic: 'basic-secret-0123456789',
  reserved: 'p@ss:w/rd%+=&',
  post: 'post-secret-0123456789',
  jwt: 'a-shared-secret-of-at-least-32-bytes-for-HS256',
};

function publicJwk(path, kid) {
  const jwk = createPublicKey(readFileSync(path)).export({ format: 'jwk' });
  return { ...jwk, kid };
}

const grant = ['client_credentials'];
const clients = [
  { client_id: 'basic', client_secret: SECRETS.basic, token_endpoint_auth_method: 'client_secret_basic' },
  { client_id: 'reserved', client_secret: SECRETS.reserved, token_endpoint_auth_method: 'client_secret_basic' },
  { client_id: 'post', client_secret: SECRETS.post, token_endpoint_auth_method: 'client_secret_post' },
  {
    client_id: 'secret-jwt',
    client_secret: SECRETS.jwt,
    token_endpoint_auth_method: 'client_secret_jwt',
    token_endpoint_auth_signing_alg: 'HS256',
  },
  {
    client_id: 'rsa-jwt',
    token_endpoint_auth_method: 'private_key_jwt',
    token_endpoint_auth_signing_alg: 'RS256',
    jwks: { keys: [publicJwk(rsaPem, 'rsa-1'), publicJwk(ecPem, 'other')] },
  },
  {
    client_id: 'ec-jwt',
    token_endpoint_auth_method: 'private_key_jwt',
    token_endpoint_auth_signing_alg: 'ES256',
    jwks: { keys: [publicJwk(ecPem, 'ec-1')] },
  },
  {
    client_id: 'dpop',
    client_secret: SECRETS.basic,
    token_endpoint_auth_method: 'client_secret_basic',
    dpop_bound_access_tokens: true,
  },
].map((c) => ({ grant_types: grant, response_types: [], redirect_uris: [], scope: 'api:read', ...c }));

const stats = { paths: {}, grants: 0, refused: [] };
const seenProofs = new Set();

function configuration() {
  return {
    clients,
    scopes: ['api:read'],
    features: {
      clientCredentials: { enabled: true },
      devInteractions: { enabled: false },
      dPoP: { enabled: true, nonceSecret: randomBytes(32), requireNonce: () => true },
    },
    enabledJWA: {
      clientAuthSigningAlgValues: ['HS256', 'RS256', 'ES256'],
      dPoPSigningAlgValues: ['ES256'],
    },
  };
}

function reply(res, status, body, headers = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

// The proof of a DPoP-bound token at the resource (RFC 9449 §7): null when it holds, else why not.
async function proofProblem(req, issuer, token, value) {
  const proof = req.headers.dpop;
  if (typeof proof !== 'string') return 'no DPoP proof';
  try {
    const { payload, protectedHeader } = await jose.jwtVerify(proof, jose.EmbeddedJWK, {
      typ: 'dpop+jwt',
      algorithms: ['ES256'],
    });
    const ath = createHash('sha256').update(value).digest('base64url');
    const jkt = await jose.calculateJwkThumbprint(protectedHeader.jwk);
    const now = Math.floor(Date.now() / 1000);
    if (payload.htm !== req.method) return `htm ${payload.htm}`;
    if (payload.htu !== `${issuer}${req.url.split('?')[0]}`) return `htu ${payload.htu}`;
    if (Math.abs(now - payload.iat) > 60) return `iat ${payload.iat}`;
    if (payload.ath !== ath) return 'ath does not match the token';
    if (jkt !== token.jkt) return 'the proof key is not the token key';
    if (typeof payload.jti !== 'string' || seenProofs.has(payload.jti)) return 'jti replayed';
    seenProofs.add(payload.jti);
    return null;
  } catch (err) {
    return `proof: ${err.message}`;
  }
}

async function whoami(req, res, provider, issuer) {
  const [scheme, value] = (req.headers.authorization || '').split(' ');
  const token = value ? await provider.ClientCredentials.find(value) : undefined;
  if (!token || token.isExpired) return reply(res, 401, { error: 'invalid_token' });
  const bound = Boolean(token.jkt);
  if (scheme !== (bound ? 'DPoP' : 'Bearer')) return reply(res, 401, { error: `scheme ${scheme}` });
  const problem = bound ? await proofProblem(req, issuer, token, value) : null;
  if (problem) return reply(res, 401, { error: 'invalid_dpop_proof', error_description: problem });
  return reply(res, 200, { client_id: token.clientId, scope: token.scope ?? null, bound });
}

const server = createServer();
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, configuration());
  provider.on('grant.success', () => { stats.grants += 1; });
  provider.on('grant.error', (ctx, err) => { stats.refused.push(err.error); });
  provider.on('server_error', (ctx, err) => { stats.refused.push(`server_error: ${err.message}`); });
  const callback = provider.callback();
  server.on('request', (req, res) => {
    const path = req.url.split('?')[0];
    stats.paths[path] = (stats.paths[path] || 0) + 1;
    if (path === '/_stats') return reply(res, 200, stats);
    if (path === '/api/whoami') {
      return whoami(req, res, provider, issuer).catch((err) => reply(res, 500, { error: err.message }));
    }
    return callback(req, res);
  });
  console.log(`LISTENING ${port}`);
});

process.on('SIGTERM', () => process.exit(0));
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
