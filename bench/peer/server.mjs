// The peer of the benchmark (bench/run.sh): panva's oidc-provider (OpenID Certified, in-memory store) with the
// same clients, scope, user and token formats as Plinto's benchmark configuration. PEER_STORE=postgres gives it a
// PostgreSQL store instead (PEER_PG_HOST, PEER_PG_PORT, PEER_PG_USER; database peer_bench, created when missing): the
// same database server Plinto uses, for rows that compare the two on the same kind of store.
//   - "machine": client_credentials, client_secret_basic, scope "api" -> JWT access token for https://api.test
//   - "web": authorization code + PKCE (S256 required) + refresh tokens, rotated on every use like Plinto's
//   - one user whose password is checked with PBKDF2-HMAC-SHA512 and the iteration count Plinto uses
//   - introspection and revocation on; an opaque-token resource for introspection (oidc-provider cannot
//     introspect its JWT access tokens, which it does not store)
// The sign-in form is ours (oidc-provider leaves interactions to the host); it does what Plinto's does:
// check the password, remember the session and grant, and redirect.
import { createServer } from 'node:http';
import { generateKeyPairSync, pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import Provider from 'oidc-provider';
import pg from 'pg';

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};

const port = Number(env('PEER_PORT'));
const issuer = `http://127.0.0.1:${port}`;
const iterations = Number(env('BENCH_PBKDF2_ITERATIONS'));
const userEmail = env('BENCH_USER_EMAIL');
const pbkdf2Async = promisify(pbkdf2);
const salt = randomBytes(16);
const passwordHash = await pbkdf2Async(env('BENCH_USER_PASSWORD'), salt, iterations, 32, 'sha512');
const accountId = 'bench-user';

// RS256 for ID tokens (the OIDC default); access tokens use PEER_ACCESS_TOKEN_ALG (RS256 or ES256), as Plinto's
// Plinto:Keys:AccessTokenAlgorithm does.
const accessTokenAlg = process.env.PEER_ACCESS_TOKEN_ALG ?? 'RS256';
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
const keys = [
  { ...rsa.export({ format: 'jwk' }), use: 'sig', alg: 'RS256', kid: 'bench-rs256' },
  { ...ec.export({ format: 'jwk' }), use: 'sig', alg: 'ES256', kid: 'bench-es256' },
];

// oidc-provider's bundled memory adapter is an LRU of 1,000 entries: a benchmark run would evict the session and the
// tokens it replays. This one keeps everything until it expires (what "in-memory store" means for the comparison).
const stores = new Map();
const byGrant = new Map();
const byUid = new Map();
class MemoryAdapter {
  constructor(name) {
    this.name = name;
    if (!stores.has(name)) stores.set(name, new Map());
    this.store = stores.get(name);
  }

  async upsert(id, payload, expiresIn) {
    this.store.set(id, { payload, expires: expiresIn ? Date.now() + expiresIn * 1000 : Infinity });
    if (payload.grantId) {
      if (!byGrant.has(payload.grantId)) byGrant.set(payload.grantId, []);
      byGrant.get(payload.grantId).push([this.name, id]);
    }
    if (payload.uid) byUid.set(`${this.name}:${payload.uid}`, id);
  }

  async find(id) {
    const entry = this.store.get(id);
    if (!entry) return undefined;
    if (entry.expires < Date.now()) {
      this.store.delete(id);
      return undefined;
    }
    return entry.payload;
  }

  async findByUid(uid) {
    const id = byUid.get(`${this.name}:${uid}`);
    return id ? this.find(id) : undefined;
  }

  async findByUserCode() {
    return undefined;
  }

  async consume(id) {
    const entry = this.store.get(id);
    if (entry) entry.payload.consumed = Math.floor(Date.now() / 1000);
  }

  async destroy(id) {
    this.store.delete(id);
  }

  async revokeByGrantId(grantId) {
    for (const [name, id] of byGrant.get(grantId) ?? []) stores.get(name)?.delete(id);
    byGrant.delete(grantId);
  }
}

// The PostgreSQL store: one table for every model, as oidc-provider's adapter interface suggests (lib/adapters in its
// repository describes the contract). One statement per call, as the in-memory adapter's calls are one step each;
// expired rows are filtered on read (nothing expires during a run).
const pool = process.env.PEER_STORE === 'postgres' ? await openStore() : undefined;

async function openStore() {
  const connection = { host: env('PEER_PG_HOST'), port: Number(env('PEER_PG_PORT')), user: env('PEER_PG_USER') };
  const admin = new pg.Client({ ...connection, database: 'postgres' });
  await admin.connect();
  const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', ['peer_bench']);
  if (exists.rowCount === 0) await admin.query('CREATE DATABASE peer_bench');
  await admin.end();
  // As many connections as the load generator opens (bench/run.sh BENCH_CONNECTIONS, 16) and a few more.
  const store = new pg.Pool({ ...connection, database: 'peer_bench', max: 20 });
  await store.query(`CREATE TABLE IF NOT EXISTS oidc_payloads (
    id text NOT NULL, kind text NOT NULL, payload jsonb NOT NULL, grant_id text, user_code text, uid text,
    expires_at timestamptz, consumed_at timestamptz, PRIMARY KEY (kind, id))`);
  await store.query('CREATE INDEX IF NOT EXISTS oidc_payloads_grant_id ON oidc_payloads (grant_id)');
  await store.query('CREATE INDEX IF NOT EXISTS oidc_payloads_uid ON oidc_payloads (kind, uid)');
  await store.query('CREATE INDEX IF NOT EXISTS oidc_payloads_user_code ON oidc_payloads (kind, user_code)');
  return store;
}

class PostgresAdapter {
  constructor(name) {
    this.name = name;
  }

  async upsert(id, payload, expiresIn) {
    await pool.query(
      `INSERT INTO oidc_payloads (id, kind, payload, grant_id, user_code, uid, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, CASE WHEN $7::int IS NULL THEN NULL ELSE now() + make_interval(secs => $7::int) END)
       ON CONFLICT (kind, id) DO UPDATE SET payload = EXCLUDED.payload, grant_id = EXCLUDED.grant_id,
         user_code = EXCLUDED.user_code, uid = EXCLUDED.uid, expires_at = EXCLUDED.expires_at`,
      [id, this.name, payload, payload.grantId ?? null, payload.userCode ?? null, payload.uid ?? null, expiresIn ?? null]);
  }

  async #findBy(column, value) {
    const result = await pool.query(
      `SELECT payload, consumed_at FROM oidc_payloads
       WHERE kind = $1 AND ${column} = $2 AND (expires_at IS NULL OR expires_at > now())`, [this.name, value]);
    const row = result.rows[0];
    if (!row) return undefined;
    return row.consumed_at ? { ...row.payload, consumed: Math.floor(row.consumed_at.getTime() / 1000) } : row.payload;
  }

  find(id) {
    return this.#findBy('id', id);
  }

  findByUid(uid) {
    return this.#findBy('uid', uid);
  }

  findByUserCode(userCode) {
    return this.#findBy('user_code', userCode);
  }

  async consume(id) {
    await pool.query('UPDATE oidc_payloads SET consumed_at = now() WHERE kind = $1 AND id = $2', [this.name, id]);
  }

  async destroy(id) {
    await pool.query('DELETE FROM oidc_payloads WHERE kind = $1 AND id = $2', [this.name, id]);
  }

  async revokeByGrantId(grantId) {
    await pool.query('DELETE FROM oidc_payloads WHERE grant_id = $1', [grantId]);
  }
}

const provider = new Provider(issuer, {
  adapter: pool ? PostgresAdapter : MemoryAdapter,
  clients: [
    {
      client_id: 'machine',
      client_secret: env('BENCH_MACHINE_SECRET'),
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
    },
    {
      client_id: 'web',
      client_secret: env('BENCH_WEB_SECRET'),
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      redirect_uris: [env('BENCH_REDIRECT_URI')],
    },
  ],
  jwks: { keys },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  // "api" is the resource server's scope (resourceIndicators below), not an OpenID Connect one.
  scopes: ['openid', 'offline_access'],
  claims: { openid: ['sub'] },
  findAccount: (_ctx, sub) => (sub === accountId ? { accountId, claims: () => ({ sub }) } : undefined),
  pkce: { required: () => true },
  rotateRefreshToken: () => true,
  ttl: { AccessToken: 900, ClientCredentials: 900, IdToken: 900, AuthorizationCode: 60, RefreshToken: 14 * 24 * 3600, Session: 14 * 24 * 3600, Grant: 14 * 24 * 3600, Interaction: 3600 },
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    revocation: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => 'https://api.test',
      useGrantedResource: () => true,
      getResourceServerInfo: (_ctx, resource) => ({
        scope: 'api',
        audience: resource,
        accessTokenTTL: 900,
        accessTokenFormat: resource === 'urn:bench:opaque' ? 'opaque' : 'jwt',
        jwt: { sign: { alg: accessTokenAlg } },
      }),
    },
  },
});
provider.proxy = false;

const page = (uid, message) => `<!doctype html><title>Sign in</title><form method="post" action="/interaction/${uid}/login">
<p>${message}</p><input name="login" autocomplete="username"><input name="password" type="password"><button>Sign in</button></form>`;

async function readForm(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

async function passwordMatches(login, password) {
  const candidate = await pbkdf2Async(password ?? '', salt, iterations, 32, 'sha512');
  return timingSafeEqual(candidate, passwordHash) && login === userEmail;
}

async function interaction(req, res, uid, action) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) throw new Error('interaction mismatch');
  if (req.method === 'GET' && !action) {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page(uid, 'Sign in'));
    return;
  }

  if (req.method !== 'POST' || action !== 'login') {
    res.writeHead(404).end();
    return;
  }

  const form = await readForm(req);
  if (!(await passwordMatches(form.get('login'), form.get('password')))) {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page(uid, 'Wrong e-mail or password'));
    return;
  }

  // Login and consent in one step (Plinto's bench client is first-party with implicit consent).
  const grant = new provider.Grant({ accountId, clientId: details.params.client_id });
  grant.addOIDCScope(String(details.params.scope ?? '').split(' ').filter((s) => s === 'openid' || s === 'offline_access').join(' '));
  grant.addResourceScope('https://api.test', 'api');
  const grantId = await grant.save();
  await provider.interactionFinished(req, res, { login: { accountId }, consent: { grantId } }, { mergeWithLastSubmission: false });
}

const callback = provider.callback();
createServer(async (req, res) => {
  const match = /^\/interaction\/([^/?]+)(?:\/([a-z]+))?/.exec(req.url ?? '');
  if (!match) {
    callback(req, res);
    return;
  }

  try {
    await interaction(req, res, match[1], match[2]);
  } catch (error) {
    if (!res.headersSent) res.writeHead(400, { 'content-type': 'text/plain' }).end(String(error.message));
  }
}).listen(port, '127.0.0.1', () => console.log(`peer listening on ${issuer}`));
