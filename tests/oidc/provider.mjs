// A real OpenID Connect provider for the reviewer console's sign-in tests:
// panva/oidc-provider (certified OpenID provider library) with one confidential
// client, PKCE required, and its development login page (any login, the
// password is not checked) so Playwright can sign in as any configured account.
//
//   node provider.mjs CONFIG.json
//
// CONFIG: {"port": N, "issuer": "http://127.0.0.1:N", "client_id": "...",
//          "client_secret": "...", "redirect_uris": ["..."],
//          "accounts": {"<login>": {<claims of that account>}}}
//
// Test hook (only in this script, never in a real provider): POST /__test/mode
// {"mode": "..."} makes the token endpoint hand out an ID token that a client
// must refuse, re-signed from the real one: bad_signature (another key, same
// kid), bad_issuer, bad_audience, bad_nonce, expired, alg_none; "" restores
// the provider's own token.  Prints "ready <issuer>" on stdout once listening.
import { readFileSync } from 'node:fs';
import { generateKeyPair, exportJWK, SignJWT, decodeJwt, decodeProtectedHeader, importJWK } from 'jose';
import Provider from 'oidc-provider';

const cfg = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const kid = 'test-key-1';

async function rsaJwk() {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  return { ...(await exportJWK(privateKey)), kid, alg: 'RS256', use: 'sig' };
}

const signing = await rsaJwk();
const rogue = await rsaJwk(); // same kid, another key: a forged signature

const provider = new Provider(cfg.issuer, {
  clients: [{
    client_id: cfg.client_id,
    client_secret: cfg.client_secret,
    redirect_uris: cfg.redirect_uris,
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  jwks: { keys: [signing] },
  cookies: { keys: ['test-cookie-key-not-secret'] },
  pkce: { required: () => true },
  // the scope's claims go into the ID token itself (the console reads roles there)
  conformIdTokenClaims: false,
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['preferred_username', 'name'],
    groups: ['groups'],
  },
  features: { devInteractions: { enabled: true } },
  async findAccount(ctx, id) {
    const claims = cfg.accounts[id];
    if (!claims) return undefined;
    return { accountId: id, async claims() { return { sub: id, ...claims }; } };
  },
  // a first-party client: no consent page
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    if (!ctx.oidc.session.accountId) return undefined;
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope('openid email profile groups');
    grant.addOIDCClaims(['sub', 'email', 'email_verified', 'preferred_username', 'name', 'groups']);
    await grant.save();
    return grant;
  },
});

let mode = '';

async function tamper(idToken) {
  const header = decodeProtectedHeader(idToken);
  const claims = decodeJwt(idToken);
  const now = Math.floor(Date.now() / 1000);
  let key = await importJWK(signing, 'RS256');
  if (mode === 'bad_signature') key = await importJWK(rogue, 'RS256');
  else if (mode === 'bad_issuer') claims.iss = 'https://idp.attacker.example';
  else if (mode === 'bad_audience') claims.aud = 'another-client';
  else if (mode === 'bad_nonce') claims.nonce = 'not-the-nonce-that-was-sent';
  else if (mode === 'expired') { claims.iat = now - 7200; claims.exp = now - 3600; }
  else if (mode === 'alg_none') {
    const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
    return `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`;
  }
  return new SignJWT(claims).setProtectedHeader({ ...header, kid }).sign(key);
}

provider.use(async (ctx, next) => {
  if (ctx.path === '/__test/mode' && ctx.method === 'POST') {
    let raw = '';
    for await (const chunk of ctx.req) raw += chunk;
    mode = JSON.parse(raw || '{}').mode || '';
    ctx.body = { mode };
    return;
  }
  await next();
  if (ctx.path === '/token' && mode && ctx.body && typeof ctx.body === 'object' && ctx.body.id_token) {
    ctx.body = { ...ctx.body, id_token: await tamper(ctx.body.id_token) };
  }
});

const server = provider.listen(cfg.port, '127.0.0.1', () => {
  process.stdout.write(`ready ${cfg.issuer}\n`);
});
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => server.close(() => process.exit(0)));
