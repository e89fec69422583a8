#!/usr/bin/env node
// tests/contract/validate_tmf5.js DEFINITION BASE CAPTURE [EVENTS...]: checks
// the answers of seam's TMF621 v5 face, and the events its hub sent, against
// TM Forum's TMF621 v5.0.1 definition (tests/contract/tmf621/).
//   - CAPTURE: one JSON line per answer (method, path, status, type, body;
//     tests/e2e/lib.sh's SEAM_CAPTURE). Each answer under BASE (the face's
//     root, /tmf-api/troubleTicketManagement/v5) is mapped to the operation
//     of DEFINITION whose path template matches the rest of its path; its
//     status must be among the operation's responses (or its default), and
//     its body valid against the response's schema. Answers elsewhere are
//     docs/openapi.yaml's (validate.js).
//   - EVENTS: one v5 event body per line, as a listener received it; each is
//     validated against the schema its @type names (TroubleTicketCreateEvent
//     ...), which must be one of the definition's TroubleTicket events.
// Each body is validated by ajv in strict mode twice: as written and closed
// (every object schema that lists its properties takes no other member: a
// member v5 does not define fails). A oneOf with a discriminator is decided
// by its @type, as the definition's mapping says (the branches are open, so
// a reference with an id would match both Attachment and AttachmentRef).
// Prints TAP.
'use strict';
const fs = require('fs');
const YAML = require('yaml');
const Ajv = require('ajv');
const addFormats = require('ajv-formats');

const [specFile, base, capture, ...eventFiles] = process.argv.slice(2);
if (!specFile || !base || !capture) {
    console.error('usage: validate_tmf5.js DEFINITION BASE CAPTURE [EVENTS...]');
    process.exit(2);
}
const spec = YAML.parse(fs.readFileSync(specFile, 'utf8'));
const schemas = spec.components.schemas;
const lines = (file) =>
    fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l)) : [];

function deref(ref) {
    if (!ref.startsWith('#/')) throw new Error(`external $ref ${ref}`);
    return ref.slice(2).split('/').reduce((o, k) => o[k.replace(/~1/g, '/').replace(/~0/g, '~')], spec);
}
const resolve = (o) => (o && o.$ref ? resolve(deref(o.$ref)) : o);
const refOf = (ref, closed) => {
    const m = /^#\/components\/schemas\/(.+)$/.exec(ref);
    if (!m) throw new Error(`unsupported $ref ${ref}`);
    return `${closed ? 'closed' : 'open'}#/definitions/${m[1]}`;
};

// OpenAPI 3.0 schema -> a schema ajv compiles (as validate.js does), with a
// discriminated oneOf made a chain of if/then on @type.
function toAjv(s, closed) {
    if (Array.isArray(s)) return s.map((x) => toAjv(x, closed));
    if (!s || typeof s !== 'object') return s;
    if (closed && s.allOf) s = mergeAllOf(s);
    const out = {};
    for (const [k, v] of Object.entries(s)) {
        if (k === '$ref') {
            out.$ref = refOf(v, closed);
        } else if (k === 'properties' || k === 'definitions') {
            out[k] = Object.fromEntries(Object.entries(v).map(([n, x]) => [n, toAjv(x, closed)]));
        } else if (k === 'oneOf' && s.discriminator && s.discriminator.mapping) {
            // decided by the tag: the chain's tests are not closed (toAjv does not see them)
            const tag = s.discriminator.propertyName;
            let chain = false;
            for (const [value, ref] of Object.entries(s.discriminator.mapping).reverse())
                chain = {if: {properties: {[tag]: {const: value}}, required: [tag]}, then: {$ref: refOf(ref, closed)}, else: chain};
            out.allOf = (out.allOf || []).concat([chain]);
        } else if (k === 'example' || k === 'examples' || k === 'discriminator' || k.startsWith('x-')) {
            // annotations of OpenAPI that JSON Schema does not know
        } else {
            out[k] = toAjv(v, closed);
        }
    }
    if (closed && out.properties && out.additionalProperties === undefined) out.additionalProperties = false;
    return out;
}

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
    for (const p of parts) {
        Object.assign(out.properties, p.properties || {}); // a later part's member is the narrower
        (p.required || []).forEach((r) => req.add(r));
    }
    if (req.size) out.required = [...req];
    return out;
}

// strictRequired off: the definition requires members its allOf parts define
// (TroubleTicket_RES: id, href), which is valid JSON Schema.
const ajv = new Ajv({strict: true, allErrors: true, strictTypes: false, strictRequired: false});
addFormats(ajv);
ajv.addFormat('base64', /^[A-Za-z0-9+/]*={0,2}$/);
ajv.addSchema({$id: 'open', definitions: toAjv(schemas, false)});
ajv.addSchema({$id: 'closed', definitions: toAjv(schemas, true)});
const compiled = new Map();
function validator(schema, closed) {
    const key = JSON.stringify(schema) + closed;
    if (!compiled.has(key)) compiled.set(key, ajv.compile(toAjv(schema, closed)));
    return compiled.get(key);
}
const errText = (errs) =>
    (errs || []).filter((e) => e.keyword !== 'if').slice(0, 4)
        .map((e) => `${e.instancePath || '/'} ${e.message}${e.params && e.params.additionalProperty ? ` (${e.params.additionalProperty})` : ''}`).join('; ');

const routes = Object.entries(spec.paths).map(([tpl, item]) => ({
    tpl, item, params: (tpl.match(/\{/g) || []).length,
    re: new RegExp('^' + tpl.replace(/[.]/g, '\\.').replace(/\{[^}]+\}/g, '[^/]+') + '$'),
})).sort((a, b) => a.params - b.params);

const groups = new Map();
function group(key) {
    if (!groups.has(key)) groups.set(key, {n: 0, problems: []});
    return groups.get(key);
}
function checkBody(g, where, schema, text) {
    let body;
    try {
        body = JSON.parse(text);
    } catch (e) {
        g.problems.push(`${where}: not JSON: ${e.message}`);
        return;
    }
    for (const closed of [false, true]) {
        const v = validator(schema, closed);
        if (!v(body)) g.problems.push(`${where}: ${closed ? 'a member v5 does not define' : 'invalid'}: ${errText(v.errors)}: ${text.slice(0, 160)}`);
    }
}

let answers = 0;
for (const a of lines(capture)) {
    const full = a.path.split('?')[0];
    if (!full.startsWith(base + '/')) continue;
    answers++;
    const path = full.slice(base.length);
    const where = `${a.method} ${a.path} -> ${a.status}`;
    const route = routes.find((r) => r.re.test(path));
    const op = route && route.item[a.method.toLowerCase()];
    if (!op) {
        group(`${a.method} ${path} (not in the definition)`).problems.push(`${where}: no such operation in the v5 definition`);
        continue;
    }
    const g = group(`${a.method} ${route.tpl} ${a.status}`);
    g.n++;
    const response = resolve(op.responses[String(a.status)] || op.responses.default);
    if (!response) {
        g.problems.push(`${where}: status ${a.status} is not among ${op.operationId}'s responses`);
        continue;
    }
    const media = response.content && response.content['application/json'];
    if (!media) {
        if (a.body.length) g.problems.push(`${where}: a body where the definition has none`);
        continue;
    }
    const type = (a.type || '').split(';')[0].trim().toLowerCase();
    if (type !== 'application/json') g.problems.push(`${where}: content type "${type}", not application/json`);
    else checkBody(g, where, media.schema, a.body);
}

let events = 0;
for (const file of eventFiles)
    for (const e of lines(file)) {
        events++;
        const type = e['@type'];
        const g = group(`event ${type}`);
        g.n++;
        if (!/^TroubleTicket[A-Za-z]*Event$/.test(type || '') || !schemas[type]) {
            g.problems.push(`an event whose @type (${type}) is no TroubleTicket event of the definition`);
            continue;
        }
        checkBody(g, `event ${e.id}`, {$ref: `#/components/schemas/${type}`}, JSON.stringify(e));
    }

let n = 0,
    failed = 0;
for (const [key, g] of [...groups.entries()].sort()) {
    n++;
    if (g.problems.length === 0) {
        console.log(`ok ${n} - v5: ${key} (${g.n}) as TMF621 v5.0.1 defines it`);
    } else {
        failed++;
        console.log(`not ok ${n} - v5: ${key} (${g.n}): ${g.problems.length} problems with what TMF621 v5.0.1 defines`);
        for (const p of g.problems.slice(0, 5)) console.log(`# ${p}`);
    }
}
n++;
console.log(`${answers > 0 ? 'ok' : 'not ok'} ${n} - v5: ${answers} answers checked`);
n++;
console.log(`${events > 0 || eventFiles.length === 0 ? 'ok' : 'not ok'} ${n} - v5: ${events} events checked`);
console.log(`1..${n}`);
process.exit(failed || answers === 0 || (eventFiles.length && events === 0) ? 1 : 0);
