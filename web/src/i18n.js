// i18n.js: the pages' words, from one message catalogue per language. The
// language is the one the user chose with the switch (kept in this
// browser), else the first of the browser's languages (Accept-Language) that
// has a catalogue, else English. A message missing in a catalogue is the
// English one.
import en from './messages-en.js';
import nb from './messages-nb.js';

const catalogues = { en, nb };
const KEY = 'seam.lang';

export const languages = [
  ['en', 'English'],
  ['nb', 'Norsk bokmål'],
];

function pick() {
  const saved = localStorage.getItem(KEY);
  if (saved && catalogues[saved]) return saved;
  for (const tag of navigator.languages || [navigator.language || 'en']) {
    const base = tag.toLowerCase().split('-')[0];
    if (base === 'no' || base === 'nn') return 'nb'; // Norwegian: bokmål is what there is
    if (catalogues[base]) return base;
  }
  return 'en';
}

let current = pick();
document.documentElement.lang = current;

export function lang() {
  return current;
}

export function setLang(code) {
  if (!catalogues[code]) return;
  current = code;
  localStorage.setItem(KEY, code);
  document.documentElement.lang = code;
}

// t('ticket.filed', {id: 'T1'}): the message in the current language, {name}s replaced.
export function t(key, vars = {}) {
  const text = catalogues[current][key] ?? en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(vars[name] ?? ''));
}

export function formatTime(iso) {
  if (!iso) return '';
  return new Intl.DateTimeFormat(current === 'nb' ? 'nb-NO' : 'en-GB', {
    dateStyle: 'medium',
    timeStyle: 'short',
  }).format(new Date(iso));
}
