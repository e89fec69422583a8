// app.js: what every face shares: the menu (links, the signed-in user, sign
// out, the language switch), the status line, sign-in, the view's heading
// and errors, routing by the location's hash, and a session that ends (any
// 401) sending the user back to sign in.
import { api, ApiError, currentUser, signIn, signOut } from './api.js';
import { field, fill, h } from './dom.js';
import { languages, lang, setLang, t } from './i18n.js';

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const statusEl = document.getElementById('status');

// The federation's vocabulary in the page's language (GET /v1/vocabulary), fetched once, and
// again after the language is switched.
let vocabularyCache = null;
export async function loadVocabulary() {
  if (!vocabularyCache) vocabularyCache = await api('GET', `/v1/vocabulary?lang=${lang()}`);
  return vocabularyCache;
}
export const vocabulary = () => vocabularyCache;
// A fact's value in plain words: the vocabulary's label, or the value itself.
export function factLabel(name, id) {
  const f = vocabularyCache?.facts.find((x) => x.name === name);
  return f?.values.find((v) => v.id === id)?.label ?? id ?? '';
}

export function say(text) {
  statusEl.textContent = text;
}

export function errorText(e) {
  if (e instanceof ApiError) {
    const known = t(`error.${e.code}`);
    return known === `error.${e.code}` ? t('error.generic', { message: e.message }) : known;
  }
  return t('error.network');
}

// A form's error line, announced when it is set.
export function errorLine() {
  return h('p', { class: 'error', role: 'alert', hidden: true });
}

export function showError(el, e) {
  el.hidden = false;
  el.textContent = typeof e === 'string' ? e : errorText(e);
}

export function title(text) {
  document.title = `${text} · seam`;
  return h('h1', { tabindex: '-1' }, text);
}

// Puts the view in main and moves the focus to its heading (for screen readers and keyboards).
export function show(...children) {
  fill(main, ...children);
  main.querySelector('h1')?.focus();
}

// A small form of one text and one button: POST path with {key: text}, then the view again.
// extra: controls before the text, after: after it; body(): the rest of the body.
export function actionForm({ label, hint, key, path, button, required = true, done, danger = false, extra = [], after = [], body: more }) {
  const err = errorLine();
  const text = h('textarea', { name: key, rows: 3, required });
  return h(
    'form',
    {
      class: 'card',
      onsubmit: async (ev) => {
        ev.preventDefault();
        err.hidden = true;
        const body = more ? more() : {};
        if (text.value.trim()) body[key] = text.value.trim();
        try {
          await api('POST', path, body);
          say(done);
          app.route();
        } catch (e) {
          showError(err, e);
        }
      },
    },
    extra,
    field(label, text, hint),
    after,
    err,
    h('button', { type: 'submit', class: danger ? 'danger' : null }, button),
  );
}

const app = { me: null, config: null, route: () => route() };

function renderNav() {
  nav.setAttribute('aria-label', t('nav.main'));
  const skip = document.querySelector('.skip');
  if (skip) skip.textContent = t('nav.skip');
  const select = h(
    'select',
    { id: 'lang', onchange: (ev) => { setLang(ev.target.value); vocabularyCache = null; app.config.onLanguage?.(); route(); } },
    languages.map(([code, name]) => h('option', { value: code, selected: code === lang() }, name)),
  );
  const links = app.me
    ? [
        (typeof app.config.links === 'function' ? app.config.links(app.me) : app.config.links).map(([href, key]) => h('a', { href }, t(key))),
        h('span', { class: 'who' }, t('nav.signed_in_as', { user: app.me.user })),
        h('button', { type: 'button', onclick: onSignOut }, t('nav.sign_out')),
      ]
    : [];
  fill(nav, ...links, h('span', { class: 'lang' }, h('label', { for: 'lang' }, t('nav.language')), select));
}

async function onSignOut() {
  try {
    await signOut();
  } catch {
    /* the session may be over already: signed out either way */
  }
  app.me = null;
  location.hash = '#/';
  say(t('signin.signed_out'));
  route();
}

function viewSignIn(notice) {
  const err = errorLine();
  const user = h('input', { name: 'user', autocomplete: 'username', required: true });
  const password = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  // The code of an authenticator app: asked for when the broker says the user needs one.
  const totp = h('input', { name: 'totp', inputmode: 'numeric', autocomplete: 'one-time-code', pattern: '[0-9]{6}', maxlength: 6 });
  const totpField = field(t('signin.totp'), totp, t('signin.totp_hint'));
  totpField.hidden = true;
  const form = h(
    'form',
    {
      class: 'card',
      onsubmit: async (ev) => {
        ev.preventDefault();
        err.hidden = true;
        try {
          await signIn(user.value.trim(), password.value, totpField.hidden ? '' : totp.value.trim());
          app.me = await currentUser();
          say(t('signin.welcome', { user: app.me.user }));
          route();
        } catch (e) {
          if (e.status === 401 && e.field === 'totp') {
            const first = totpField.hidden;
            totpField.hidden = false;
            totp.required = true;
            showError(err, first ? t('signin.totp_needed') : t('signin.totp_wrong'));
            totp.value = '';
            totp.focus();
            return;
          }
          showError(err, e.status === 401 ? t('signin.failed') : e);
        }
      },
    },
    field(t('signin.user'), user, t('signin.user_hint')),
    field(t('signin.password'), password),
    totpField,
    err,
    h('button', { type: 'submit' }, t('signin.submit')),
  );
  show(title(t(app.config.signinTitle)), notice ? h('p', { class: 'notice', role: 'alert' }, notice) : null, form);
}

// Signed in as a user of another principal than this face's: where its face is.
function viewElsewhere() {
  const face = { customer: '/', partner: '/partner/', lead: '/lead/', auditor: '/lead/' }[app.me.role] || '/';
  show(
    title(t('elsewhere.title')),
    h('p', {}, t('elsewhere.text', { user: app.me.user, role: t(`role.${app.me.role}`) })),
    h('p', {}, h('a', { href: face }, t('elsewhere.link'))),
  );
}

async function route(notice) {
  renderNav();
  if (!app.me) return viewSignIn(notice);
  if (!app.config.roles.includes(app.me.role)) return viewElsewhere();
  try {
    await app.config.route(location.hash || '#/', app.me);
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return; // signed-out takes over
    show(title(t('error.title')), h('p', { role: 'alert' }, errorText(e)), h('p', {}, h('a', { href: '#/' }, t('nav.home'))));
  }
}

// start({roles, links (or links(me)), signinTitle, route(hash, me), onLanguage?, onSignedOut?}): runs a face.
export async function start(config) {
  app.config = config;
  window.addEventListener('hashchange', () => route());
  window.addEventListener('seam:signed-out', () => {
    if (!app.me) return;
    app.me = null;
    config.onSignedOut?.();
    route(t('signin.expired'));
  });
  app.me = await currentUser().catch(() => null);
  route();
}

export { app };
