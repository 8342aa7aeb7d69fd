// A real, certified OpenID provider (panva/node-oidc-provider) for the single sign-on tests.
//
// Usage: node provider.mjs PORT REDIRECT_URIS POST_LOGOUT_REDIRECT_URIS (comma-separated)
// (or OIDC_PORT, OIDC_REDIRECT_URI, OIDC_POST_LOGOUT_REDIRECT_URI in the environment).
// Listens on 127.0.0.1:PORT; the issuer is http://127.0.0.1:PORT. Two confidential clients:
// "counter-ready" (the app under test) and "other-app" (for a code made for someone else).
// Sign-in and consent pages are minimal and self-contained: the built-in development pages
// load a web font from the internet, which a closed test network must never try.

import { generateKeyPairSync, randomUUID } from 'node:crypto';

import Provider from 'oidc-provider';

const [argPort, argRedirect, argPostLogout] = process.argv.slice(2);
const port = Number(process.env.OIDC_PORT || argPort);
const redirectUri = process.env.OIDC_REDIRECT_URI || argRedirect;
const postLogoutUri = process.env.OIDC_POST_LOGOUT_REDIRECT_URI || argPostLogout;
if (!port || !redirectUri || !postLogoutUri) {
  console.error('usage: node provider.mjs PORT REDIRECT_URI POST_LOGOUT_REDIRECT_URI');
  process.exit(2);
}
const issuer = `http://127.0.0.1:${port}`;

// Test accounts: the login name and password typed on the sign-in page, and the claims.
const ACCOUNTS = {
  anna: {
    password: 'anna-secret',
    claims: {
      sub: 'c0ffee-anna-0001',
      email: 'anna.muster@example.ch',
      email_verified: true,
      given_name: 'Anna',
      family_name: 'Muster',
      hr_number: 'HR-1001',
      locale: 'fr-CH',
    },
  },
  bruno: {
    password: 'bruno-secret',
    claims: {
      sub: 'c0ffee-bruno-0002',
      email: 'bruno.neu@example.ch',
      email_verified: true,
      given_name: 'Bruno',
      family_name: 'Neu',
      hr_number: 'HR-2002',
      locale: 'de-CH',
    },
  },
  carla: {
    password: 'carla-secret',
    claims: {
      sub: 'c0ffee-carla-0003',
      email: 'carla.gone@example.ch',
      email_verified: true,
      given_name: 'Carla',
      family_name: 'Gone',
      hr_number: 'HR-3003',
      locale: 'it-CH',
    },
  },
};
const BY_SUB = Object.fromEntries(Object.values(ACCOUNTS).map((a) => [a.claims.sub, a]));

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: randomUUID(), use: 'sig', alg: 'RS256' };

const client = (clientId, secret) => ({
  client_id: clientId,
  client_secret: secret,
  redirect_uris: redirectUri.split(','),
  post_logout_redirect_uris: postLogoutUri.split(','),
  response_types: ['code'],
  grant_types: ['authorization_code'],
  token_endpoint_auth_method: 'client_secret_basic',
});

const configuration = {
  clients: [
    client('counter-ready', 'counter-ready-secret'),
    client('other-app', 'other-app-secret'),
  ],
  jwks: { keys: [signingKey] },
  cookies: { keys: ['test-cookie-key-not-secret-1', 'test-cookie-key-not-secret-2'] },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['given_name', 'family_name', 'locale'],
    hr: ['hr_number'],
  },
  scopes: ['openid', 'email', 'profile', 'hr'],
  pkce: { required: () => true },
  features: {
    devInteractions: { enabled: false },
    rpInitiatedLogout: {
      enabled: true,
      logoutSource: async (ctx, form) => {
        ctx.body = page('Sign out', `<h1>Sign out from the test provider?</h1>${form}
          <button autofocus type="submit" form="op.logoutForm" value="yes" name="logout">Yes, sign me out</button>
          <button type="submit" form="op.logoutForm">No, stay signed in</button>`);
      },
      postLogoutSuccessSource: async (ctx) => {
        ctx.body = page('Signed out', '<h1>You are signed out at the provider.</h1>');
      },
    },
  },
  findAccount: async (ctx, sub) => {
    const account = BY_SUB[sub];
    if (!account) return undefined;
    return { accountId: sub, claims: async () => ({ ...account.claims }) };
  },
  renderError: async (ctx, out) => {
    ctx.type = 'html';
    ctx.body = page('Error', `<h1>${escape(out.error)}</h1><p>${escape(out.error_description || '')}</p>`);
  },
};

function escape(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(title, body) {
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title>`
    + `</head><body><main>${body}</main></body></html>`;
}

async function readForm(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
}

function loginPage(uid, error = '') {
  return page('Sign in at the test provider', `<h1>Test provider: sign in</h1>
    ${error ? `<p id="op-error">${escape(error)}</p>` : ''}
    <form method="post" action="/interaction/${uid}/login">
      <label>Login <input id="op-login" name="login" autocomplete="username" required></label>
      <label>Password <input id="op-password" name="password" type="password" required></label>
      <button id="op-sign-in" type="submit">Sign in</button>
    </form>
    <form method="post" action="/interaction/${uid}/abort"><button type="submit">Cancel</button></form>`);
}

function consentPage(uid, clientId, scopes) {
  return page('Allow access', `<h1>Allow ${escape(clientId)} to know who you are?</h1>
    <p>Scopes: ${escape(scopes)}</p>
    <form method="post" action="/interaction/${uid}/confirm">
      <button id="op-allow" type="submit">Allow</button>
    </form>
    <form method="post" action="/interaction/${uid}/abort"><button type="submit">Deny</button></form>`);
}

const provider = new Provider(issuer, configuration);

provider.use(async (ctx, next) => {
  const route = /^\/interaction\/([\w-]+)(?:\/(login|confirm|abort))?$/.exec(ctx.path);
  if (!route) return next();
  const [, uid, action] = route;
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  if (details.uid !== uid) ctx.throw(400, 'interaction mismatch');
  const finish = async (result, merge) => {
    const to = await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: merge });
    ctx.status = 303;
    ctx.redirect(to);
  };
  ctx.type = 'html';
  if (ctx.method === 'GET' && !action) {
    ctx.body = details.prompt.name === 'login'
      ? loginPage(uid)
      : consentPage(uid, details.params.client_id, details.params.scope);
    return undefined;
  }
  if (ctx.method !== 'POST') ctx.throw(405);
  if (action === 'abort') {
    return finish({ error: 'access_denied', error_description: 'the person cancelled' }, false);
  }
  if (action === 'login') {
    const form = await readForm(ctx.req);
    const account = ACCOUNTS[form.login];
    if (!account || account.password !== form.password) {
      ctx.status = 401;
      ctx.body = loginPage(uid, 'Unknown login or wrong password.');
      return undefined;
    }
    return finish({ login: { accountId: account.claims.sub } }, false);
  }
  // Consent: grant exactly what the prompt says is missing.
  const { prompt: { details: missing }, params, session } = details;
  const grant = details.grantId
    ? await provider.Grant.find(details.grantId)
    : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  const grantId = await grant.save();
  return finish({ consent: details.grantId ? {} : { grantId } }, true);
});

provider.listen(port, '127.0.0.1', () => {
  console.log(`oidc-provider listening on ${issuer}`);
});
