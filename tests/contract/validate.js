#!/usr/bin/env node
// tests/contract/validate.js OPENAPI CAPTURE...: checks seam's answers against
// its contract. Each CAPTURE file holds one JSON line per answer (method,
// path, status, type, body), as tests/e2e/lib.sh writes them with
// SEAM_CAPTURE. Each answer is mapped to the operation of OPENAPI whose path
// template matches, and must be documented there: its status among the
// operation's responses, its content type among the response's, and its
// body valid, by ajv in strict mode, against the response's schema twice:
//   - as written (oneOf as written: an answer that matches two branches
//     fails), and
//   - closed: every object schema that lists its properties, and does not
//     say what other members may be, takes no other member, so that a field
//     the broker answers and the contract does not name fails.
// A method a documented path does not serve must be answered 405 with the
// MethodNotAllowed response; a path the contract does not have, 404.
// Prints TAP: one line per operation and status, then one per problem kind.
'use strict';
const fs = require('fs');
const YAML = require('yaml');
const Ajv = require('ajv');
const addFormats = require('ajv-formats');

const [specFile, ...captures] = process.argv.slice(2);
if (!specFile || captures.length === 0) {
    console.error('usage: validate.js OPENAPI CAPTURE...');
    process.exit(2);
}
const spec = YAML.parse(fs.readFileSync(specFile, 'utf8'));

// Read every answer first: the fact names (a schema's additionalProperties
// marked x-facts stands for the members named for the federation's facts)
// are those of the configurations (FACTS, comma-separated) and the keys of
// every "facts" object the broker answered.
const answersIn = captures.map((file) =>
    fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l)));
const factNames = new Set((process.env.FACTS || '').split(',').filter(Boolean));
for (const list of answersIn)
    for (const a of list) {
        let b;
        try {
            b = JSON.parse(a.body);
        } catch (e) {
            continue;
        }
        (function walk(o) {
            if (!o || typeof o !== 'object') return;
            if (o.facts && typeof o.facts === 'object' && !Array.isArray(o.facts)) Object.keys(o.facts).forEach((k) => factNames.add(k));
            Object.values(o).forEach(walk);
        })(b);
    }
const schemas = spec.components.schemas;

// A JSON pointer "#/components/..." inside the document.
function deref(ref) {
    if (!ref.startsWith('#/')) throw new Error(`external $ref ${ref}`);
    return ref.slice(2).split('/').reduce((o, k) => o[k.replace(/~1/g, '/').replace(/~0/g, '~')], spec);
}
const resolve = (o) => (o && o.$ref ? resolve(deref(o.$ref)) : o);

// OpenAPI 3.0 schema -> a schema ajv compiles: refs to components.schemas
// point into one schema of id "c" that holds them all as definitions.
function toAjv(s, closed) {
    if (Array.isArray(s)) return s.map((x) => toAjv(x, closed));
    if (!s || typeof s !== 'object') return s;
    if (closed && s.allOf) s = mergeAllOf(s);
    const out = {};
    for (const [k, v] of Object.entries(s)) {
        if (k === '$ref') {
            const m = /^#\/components\/schemas\/(.+)$/.exec(v);
            if (!m) throw new Error(`unsupported $ref ${v}`);
            out.$ref = `${closed ? 'closed' : 'open'}#/definitions/${m[1]}`;
        } else if (k === 'properties' || k === 'definitions') {
            out[k] = Object.fromEntries(Object.entries(v).map(([n, x]) => [n, toAjv(x, closed)]));
        } else if (k === 'example' || k === 'discriminator' || k.startsWith('x-')) {
            // annotations of OpenAPI that JSON Schema does not know
        } else {
            out[k] = toAjv(v, closed);
        }
    }
    if (closed && s.additionalProperties && s.additionalProperties['x-facts']) {
        // The members named for the federation's facts: only those.
        out.properties = out.properties || {};
        for (const f of factNames)
            if (!out.properties[f]) out.properties[f] = toAjv(s.additionalProperties, closed);
        out.additionalProperties = false;
    }
    if (closed && out.properties && out.additionalProperties === undefined) out.additionalProperties = false;
    return out;
}

// allOf of object schemas -> one object schema (closed mode only: each part
// closed alone would refuse the others' members).
function mergeAllOf(s) {
    const parts = s.allOf.map((p) => {
        const r = resolve(p);
        return r.allOf ? mergeAllOf(r) : r;
    });
    if (!parts.every((p) => (p.type === undefined || p.type === 'object') && !p.oneOf && !p.anyOf)) return s;
    const out = {...s};
    delete out.allOf;
    out.type = 'object';
    out.properties = {...(s.properties || {})};
    const req = new Set(s.required || []);
    const nots = [];
    for (const p of parts) {
        Object.assign(out.properties, p.properties || {});
        (p.required || []).forEach((r) => req.add(r));
        if (p.not) nots.push(p.not);
        if (p.additionalProperties !== undefined && out.additionalProperties === undefined)
            out.additionalProperties = p.additionalProperties;
    }
    if (req.size) out.required = [...req];
    if (nots.length) out.allOf = nots.map((n) => ({not: n}));
    return out;
}

const ajv = new Ajv({strict: true, allErrors: true, strictTypes: false});
addFormats(ajv);
ajv.addSchema({$id: 'open', definitions: toAjv(schemas, false)});
ajv.addSchema({$id: 'closed', definitions: toAjv(schemas, true)});
const compiled = new Map();
function validator(schema, closed) {
    const key = JSON.stringify(schema) + closed;
    if (!compiled.has(key)) compiled.set(key, ajv.compile(toAjv(schema, closed)));
    return compiled.get(key);
}

// Path templates, literal ones first (/v1/tickets before /v1/tickets/{id}).
const routes = [];
for (const [tpl, item] of Object.entries(spec.paths)) {
    const names = [tpl];
    for (const op of Object.values(item)) if (op && op['x-also-served-at']) names.push(op['x-also-served-at']);
    for (const name of names) {
        const re = new RegExp('^' + name.replace(/[.]/g, '\\.').replace(/\{[^}]+\}/g, '[^/]+') + '$');
        routes.push({tpl, re, params: (name.match(/\{/g) || []).length, item});
    }
}
routes.sort((a, b) => a.params - b.params);

const groups = new Map(); // "METHOD tpl STATUS" -> {n, problems: []}
const unknown = [];
function group(key) {
    if (!groups.has(key)) groups.set(key, {n: 0, problems: []});
    return groups.get(key);
}
const errText = (errs) =>
    (errs || []).slice(0, 4).map((e) => `${e.instancePath || '/'} ${e.message}${e.params && e.params.additionalProperty ? ` (${e.params.additionalProperty})` : ''}`).join('; ');

function checkBody(g, where, response, a) {
    response = resolve(response);
    const type = (a.type || '').split(';')[0].trim().toLowerCase();
    const content = response.content;
    if (!content) {
        if (a.body.length) g.problems.push(`${where}: a body the contract does not describe (${a.body.slice(0, 80)})`);
        return;
    }
    const media = content[type];
    if (!media) {
        g.problems.push(`${where}: content type "${type}" not documented (${Object.keys(content).join(', ')})`);
        return;
    }
    if (!/json/.test(type) || !media.schema) return;
    let body;
    try {
        body = JSON.parse(a.body);
    } catch (e) {
        g.problems.push(`${where}: not JSON: ${e.message}`);
        return;
    }
    for (const closed of [false, true]) {
        const v = validator(media.schema, closed);
        if (v(body)) continue;
        let why = errText(v.errors);
        const one = resolve(media.schema).oneOf;
        if (one) {
            // Say how each branch judged it: none, or more than one, matched.
            why = one.map((b) => {
                const bv = validator(b, closed);
                const name = b.$ref ? b.$ref.split('/').pop() : 'a branch';
                return bv(body) ? `${name} matches` : `${name}: ${errText(bv.errors)}`;
            }).join(' | ');
        }
        g.problems.push(`${where}: ${closed ? 'an undocumented field' : 'invalid'}: ${why}: ${a.body.slice(0, 160)}`);
    }
}

let answers = 0;
for (const list of answersIn) {
    for (const a of list) {
        answers++;
        const path = a.path.split('?')[0];
        const method = a.method.toLowerCase();
        const route = routes.find((r) => r.re.test(path));
        const where = `${a.method} ${a.path} -> ${a.status}`;
        if (!route) {
            const g = group(`${a.method} (a path the contract does not have) ${a.status}`);
            g.n++;
            if (a.status !== 404) g.problems.push(`${where}: an undocumented path answered other than 404`);
            else checkBody(g, where, spec.components.responses.NotFound, a);
            continue;
        }
        const op = route.item[method];
        if (!op) {
            const g = group(`${a.method} ${route.tpl} (a method the path does not serve) ${a.status}`);
            g.n++;
            if (a.status !== 405) g.problems.push(`${where}: a method the path does not serve answered other than 405`);
            else checkBody(g, where, spec['x-method-not-allowed'], a);
            continue;
        }
        const g = group(`${a.method} ${route.tpl} ${a.status}`);
        g.n++;
        const response = op.responses[String(a.status)] || op.responses[`${String(a.status)[0]}XX`] || op.responses.default;
        if (!response) {
            g.problems.push(`${where}: status ${a.status} is not documented for ${op.operationId}`);
            continue;
        }
        checkBody(g, where, response, a);
    }
}

let n = 0,
    failed = 0;
for (const [key, g] of [...groups.entries()].sort()) {
    n++;
    if (g.problems.length === 0) {
        console.log(`ok ${n} - ${key} (${g.n} answers) as documented`);
    } else {
        failed++;
        console.log(`not ok ${n} - ${key}: ${g.problems.length} of ${g.n} answers not as documented`);
        for (const p of g.problems.slice(0, 5)) console.log(`# ${p}`);
    }
}
n++;
console.log(`${answers > 0 ? 'ok' : 'not ok'} ${n} - ${answers} answers checked`);
console.log(`1..${n}`);
process.exit(failed || answers === 0 ? 1 : 0);
