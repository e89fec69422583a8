/*
 * mail_in.c: e-mail in. One thread looks at the mailbox of $.mail.imap_url
 * every poll_ms over libcurl's IMAP: it asks for the messages without the
 * keyword SeamProcessed, fetches each (at most max_message_bytes; a larger
 * one only by its head), parses it, and hands it to the writer, which
 * applies it in one transaction together with the record of its Message-ID
 * (DB_META "mail_in/<sha256 of the id>"): a message seen again (the
 * keyword not yet set when the broker stopped, a copy delivered twice) is
 * applied once. Only after the commit does the thread set the keyword.
 *
 * What a message does:
 *  - a reply naming one of our tickets (In-Reply-To/References, mail_out.c's
 *    ids), from the address of that ticket's customer: a note on it (which
 *    answers an owner's question and takes the ticket out of pending), or,
 *    with the subject "unsubscribe", the customer's notifications off;
 *  - a new message from a customer's address to the support address: a
 *    complaint filed for that customer with $.mail.complaint_facts, whose
 *    facts the lead's desk then corrects (POST /v1/tickets/{id}/facts);
 *  - anything else (an unknown or forged sender, a reply naming another
 *    customer's ticket, an automatic reply, a message it cannot read, too
 *    large, a ticket that takes no note): an item of the lead's triage
 *    queue (DB_META "triage/<seq>"), never lost, never on the wrong ticket;
 *    the lead's desk resolves each item once (mail_triage_resolve: attached
 *    as a note, filed as a complaint, or dismissed), and it stays, listed
 *    by its state.
 * It checks no signatures (DKIM): a sender address is taken as written, so
 * a forged From of a customer's own address can add a note; the docs say so.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <sodium.h>

#include "fact.h"
#include "fanout.h"
#include "forward.h"
#include "json_fast.h"
#include "log.h"
#include "mail_in.h"
#include "mail_out.h"
#include "ticket.h"

#define KEYWORD "SeamProcessed"
#define TEXT_KEEP 8000 /* bytes of a message's text a triage item keeps */
#define HEAD_MAX 65536 /* bytes of a too-large message's head */
#define ROUND_MAX 50   /* messages fetched per look at the mailbox */

static _Atomic uint64_t n_applied, n_duplicates, n_triaged;

void
mail_in_counts(uint64_t *applied, uint64_t *duplicates, uint64_t *triaged)
{
    *applied = atomic_load(&n_applied);
    *duplicates = atomic_load(&n_duplicates);
    *triaged = atomic_load(&n_triaged);
}

struct mail_in {
    struct server *srv;
    pthread_t thread;
    int running;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    _Atomic int stopping; /* set under mu; on_progress reads it without */
    int done;
};

/* ---- small text helpers ---- */

static void
add(struct json_text *t, const char *s, size_t n)
{
    json_text_add(t, s, n);
}

static char *
finish(struct json_text *t)
{
    json_text_add(t, "", 0);
    return t->data ? t->data : xstrdup("");
}

static char *
dup_n(const char *s, size_t n)
{
    char *c = xmalloc(n + 1);
    memcpy(c, s, n);
    c[n] = '\0';
    return c;
}

static int
hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* ISO-8859-1 bytes as UTF-8. */
static void
add_latin1(struct json_text *t, const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] < 0x80) {
            add(t, (const char *)&s[i], 1);
        } else {
            char u[2] = {(char)(0xC0 | (s[i] >> 6)), (char)(0x80 | (s[i] & 0x3F))};
            add(t, u, 2);
        }
    }
}

/* Valid UTF-8 as it is; each byte of an invalid sequence as U+FFFD; a NUL dropped. */
static void
add_utf8(struct json_text *t, const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        size_t k = utf8_seq(s + i, n - i);
        if (k == 1 && s[i] == 0) {
            i++;
            continue;
        }
        if (k > 0) {
            add(t, (const char *)s + i, k);
            i += k;
        } else {
            add(t, "\xEF\xBF\xBD", 3);
            i++;
        }
    }
}

/* s as valid UTF-8 without control characters (a header's bytes are anything). Takes s. */
static char *
clean(char *s)
{
    struct json_text t = {0};
    add_utf8(&t, (const unsigned char *)s, strlen(s));
    free(s);
    char *r = finish(&t);
    for (char *c = r; *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            *c = ' ';
    return r;
}

enum charset { CS_UTF8, CS_LATIN1, CS_OTHER };

static enum charset
charset_of(const char *name)
{
    if (name == NULL || name[0] == '\0' || strcasecmp(name, "utf-8") == 0 ||
        strcasecmp(name, "utf8") == 0 || strcasecmp(name, "us-ascii") == 0)
        return CS_UTF8;
    if (strcasecmp(name, "iso-8859-1") == 0 || strcasecmp(name, "latin1") == 0 ||
        strcasecmp(name, "iso-8859-15") == 0 || strcasecmp(name, "windows-1252") == 0)
        return CS_LATIN1;
    return CS_OTHER;
}

static void
add_charset(struct json_text *t, enum charset cs, const unsigned char *s, size_t n)
{
    if (cs == CS_LATIN1)
        add_latin1(t, s, n);
    else
        add_utf8(t, s, n);
}

static size_t
b64_decode(const char *in, size_t n, unsigned char *out)
{
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    unsigned acc = 0;
    int bits = 0;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        const char *p = in[i] ? strchr(tbl, in[i]) : NULL;
        if (in[i] == '=')
            break;
        if (p == NULL)
            continue; /* line breaks, spaces, junk: skipped */
        acc = (acc << 6) | (unsigned)(p - tbl);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (unsigned char)(acc >> bits);
        }
    }
    return o;
}

/* Quoted-printable (RFC 2045; "_" is a space in an encoded word when q_word). */
static size_t
qp_decode(const char *in, size_t n, unsigned char *out, int q_word)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (in[i] == '=' && i + 2 < n && hexval(in[i + 1]) >= 0 && hexval(in[i + 2]) >= 0) {
            out[o++] = (unsigned char)(hexval(in[i + 1]) * 16 + hexval(in[i + 2]));
            i += 2;
        } else if (in[i] == '=' && i + 1 < n && (in[i + 1] == '\r' || in[i + 1] == '\n')) {
            i++; /* a soft line break */
            if (in[i] == '\r' && i + 1 < n && in[i + 1] == '\n')
                i++;
        } else if (q_word && in[i] == '_') {
            out[o++] = ' ';
        } else {
            out[o++] = (unsigned char)in[i];
        }
    }
    return o;
}

char *
mail_decode_words(const char *s)
{
    struct json_text out = {0};
    const char *p = s, *pending_space = NULL;
    int last_encoded = 0;
    while (*p) {
        const char *q = strstr(p, "=?");
        if (q == NULL) {
            add_utf8(&out, (const unsigned char *)p, strlen(p));
            break;
        }
        /* =?charset?X?text?= */
        const char *cs = q + 2, *e1 = strchr(cs, '?');
        const char *e2 = e1 ? strchr(e1 + 1, '?') : NULL;
        const char *end = e2 ? strstr(e2 + 1, "?=") : NULL;
        if (e1 == NULL || e2 == NULL || end == NULL || e2 != e1 + 2 || end - q > 1000) {
            add_utf8(&out, (const unsigned char *)p, (size_t)(q - p) + 2);
            p = q + 2;
            last_encoded = 0;
            continue;
        }
        /* Only white space between two encoded words: dropped (RFC 2047 6.2). */
        pending_space = p;
        int blank = 1;
        for (const char *b = p; b < q; b++)
            if (*b != ' ' && *b != '\t' && *b != '\r' && *b != '\n')
                blank = 0;
        if (!(blank && last_encoded))
            add_utf8(&out, (const unsigned char *)pending_space, (size_t)(q - p));
        char charset[40];
        size_t cl =
            (size_t)(e1 - cs) < sizeof(charset) - 1 ? (size_t)(e1 - cs) : sizeof(charset) - 1;
        memcpy(charset, cs, cl);
        charset[cl] = '\0';
        char *star = strchr(charset, '*'); /* RFC 2231 language */
        if (star)
            *star = '\0';
        const char *text = e2 + 1;
        size_t tn = (size_t)(end - text);
        unsigned char *buf = xmalloc(tn + 1);
        size_t bn = (e1[1] == 'B' || e1[1] == 'b')   ? b64_decode(text, tn, buf)
                    : (e1[1] == 'Q' || e1[1] == 'q') ? qp_decode(text, tn, buf, 1)
                                                     : 0;
        enum charset c = charset_of(charset);
        if (c == CS_OTHER)
            add(&out, "?", 1);
        else
            add_charset(&out, c, buf, bn);
        free(buf);
        p = end + 2;
        last_encoded = 1;
    }
    /* No control characters in what is shown as one line. */
    char *r = finish(&out);
    for (char *c = r; *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            *c = ' ';
    return r;
}

/* ---- the head ---- */

struct field {
    char *name, *value; /* value unfolded, not decoded */
};

struct head {
    struct field *f;
    size_t n;
    int truncated;
};

static void
head_free(struct head *h)
{
    for (size_t i = 0; i < h->n; i++) {
        free(h->f[i].name);
        free(h->f[i].value);
    }
    free(h->f);
}

/* Splits raw at the blank line: the head's fields (unfolded) and *body. */
static void
head_parse(const char *raw, size_t len, struct head *h, const char **body, size_t *blen)
{
    size_t i = 0;
    memset(h, 0, sizeof(*h));
    *body = raw + len;
    *blen = 0;
    while (i < len) {
        size_t e = i;
        while (e < len && raw[e] != '\n')
            e++;
        size_t le = e > i && raw[e - 1] == '\r' ? e - 1 : e;
        if (le == i) { /* the blank line */
            *body = raw + (e < len ? e + 1 : len);
            *blen = (size_t)(raw + len - *body);
            return;
        }
        if ((raw[i] == ' ' || raw[i] == '\t') && h->n > 0) {
            struct field *f = &h->f[h->n - 1];
            if (strlen(f->value) < 16384) {
                char *v = xasprintf("%s %.*s", f->value, (int)(le - i - 1), raw + i + 1);
                free(f->value);
                f->value = v;
            }
        } else {
            const char *colon = memchr(raw + i, ':', le - i);
            if (colon != NULL && h->n < MAIL_MAX_HEADERS) {
                h->f = realloc(h->f, (h->n + 1) * sizeof(*h->f));
                if (h->f == NULL)
                    fatalx("out of memory");
                size_t nl = (size_t)(colon - (raw + i));
                while (nl > 0 && (raw[i + nl - 1] == ' ' || raw[i + nl - 1] == '\t'))
                    nl--;
                const char *v = colon + 1;
                while (v < raw + le && (*v == ' ' || *v == '\t'))
                    v++;
                h->f[h->n].name = dup_n(raw + i, nl);
                h->f[h->n].value = dup_n(v, (size_t)(raw + le - v));
                h->n++;
            } else if (colon != NULL) {
                h->truncated = 1;
            }
        }
        i = e + 1;
    }
}

static const char *
head_get(const struct head *h, const char *name)
{
    for (size_t i = 0; i < h->n; i++)
        if (strcasecmp(h->f[i].name, name) == 0)
            return h->f[i].value;
    return NULL;
}

/* A parameter of a Content-Type value (name="x" or name=x). Free it; NULL if absent. */
static char *
ct_param(const char *v, const char *name)
{
    size_t nl = strlen(name);
    for (const char *p = v ? strchr(v, ';') : NULL; p != NULL; p = strchr(p + 1, ';')) {
        const char *q = p + 1;
        while (*q == ' ' || *q == '\t')
            q++;
        if (strncasecmp(q, name, nl) != 0 || q[nl] != '=')
            continue;
        q += nl + 1;
        if (*q == '"') {
            const char *e = strchr(q + 1, '"');
            return e ? dup_n(q + 1, (size_t)(e - q - 1)) : xstrdup(q + 1);
        }
        size_t n = strcspn(q, "; \t");
        return dup_n(q, n);
    }
    return NULL;
}

/* The addresses of a From, To or Cc value: each <addr>, or a bare addr. Appended to *out. */
static void
addresses(const char *v, char ***out, size_t *n)
{
    const char *p = v;
    while (p && *p) {
        /* One entry: up to a comma outside quotes and angle brackets. */
        const char *s = p;
        int quoted = 0, angle = 0;
        while (*p && (quoted || angle || *p != ',')) {
            if (*p == '"')
                quoted = !quoted;
            else if (*p == '<' && !quoted)
                angle = 1;
            else if (*p == '>' && !quoted)
                angle = 0;
            else if (*p == '\\' && p[1])
                p++;
            p++;
        }
        char *entry = dup_n(s, (size_t)(p - s));
        if (*p == ',')
            p++;
        char *lt = strrchr(entry, '<'), *a;
        if (lt != NULL) {
            char *gt = strchr(lt, '>');
            a = dup_n(lt + 1, gt ? (size_t)(gt - lt - 1) : strlen(lt + 1));
        } else {
            char *c = strchr(entry, '('); /* a comment after a bare address */
            if (c)
                *c = '\0';
            const char *b = entry;
            while (*b == ' ' || *b == '\t')
                b++;
            size_t k = strlen(b);
            while (k > 0 && (b[k - 1] == ' ' || b[k - 1] == '\t'))
                k--;
            a = dup_n(b, k);
        }
        free(entry);
        if (a[0] != '\0' && *n < 100) {
            *out = realloc(*out, (*n + 1) * sizeof(char *));
            if (*out == NULL)
                fatalx("out of memory");
            (*out)[(*n)++] = clean(a);
        } else {
            free(a);
        }
    }
}

/* ---- the body ---- */

/* Decodes one part's body by its Content-Transfer-Encoding and charset, into UTF-8. */
static char *
decode_part(const char *cte, const char *charset, const char *body, size_t n)
{
    struct json_text out = {0};
    unsigned char *buf = xmalloc(n + 1);
    size_t bn;
    if (cte && strncasecmp(cte, "base64", 6) == 0)
        bn = b64_decode(body, n, buf);
    else if (cte && strncasecmp(cte, "quoted-printable", 16) == 0)
        bn = qp_decode(body, n, buf, 0);
    else {
        memcpy(buf, body, n);
        bn = n;
    }
    add_charset(&out, charset_of(charset), buf, bn);
    free(buf);
    return finish(&out);
}

/* Finds the first text/plain part of a part (raw, its head h); *problem on failure. */
static char *
find_text(const struct head *h, const char *body, size_t blen, int depth, const char **problem)
{
    const char *ct = head_get(h, "Content-Type");
    const char *cte = head_get(h, "Content-Transfer-Encoding");
    const char *disp = head_get(h, "Content-Disposition");
    if (depth > MAIL_MAX_DEPTH) {
        *problem = "multipart nested too deep";
        return NULL;
    }
    if (ct == NULL || strncasecmp(ct, "text/plain", 10) == 0) {
        if (disp && strncasecmp(disp, "attachment", 10) == 0)
            return NULL;
        char *cs = ct ? ct_param(ct, "charset") : NULL;
        if (cs && charset_of(cs) == CS_OTHER) {
            free(cs);
            *problem = "a text in a character set the broker does not read";
            return NULL;
        }
        char *t = decode_part(cte, cs, body, blen);
        free(cs);
        return t;
    }
    if (strncasecmp(ct, "multipart/", 10) != 0)
        return NULL;
    char *boundary = ct_param(ct, "boundary");
    if (boundary == NULL || boundary[0] == '\0' || strlen(boundary) > 200) {
        free(boundary);
        *problem = "a multipart without a usable boundary";
        return NULL;
    }
    char *delim = xasprintf("--%s", boundary);
    size_t dl = strlen(delim);
    free(boundary);
    char *found = NULL;
    const char *p = body, *end = body + blen, *part = NULL;
    unsigned parts = 0;
    int closed = 0;
    while (p < end && found == NULL && *problem == NULL) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        int is_delim = (size_t)(le - p) >= dl && memcmp(p, delim, dl) == 0;
        if (is_delim) {
            if (part != NULL) {
                size_t plen = (size_t)(p - part);
                /* the line break before the delimiter belongs to it */
                if (plen > 0 && part[plen - 1] == '\n')
                    plen--;
                if (plen > 0 && part[plen - 1] == '\r')
                    plen--;
                struct head ph;
                const char *pb;
                size_t pbl;
                head_parse(part, plen, &ph, &pb, &pbl);
                found = find_text(&ph, pb, pbl, depth + 1, problem);
                head_free(&ph);
            }
            if (++parts > 200) {
                *problem = "a multipart of too many parts";
                break;
            }
            if ((size_t)(le - p) >= dl + 2 && p[dl] == '-' && p[dl + 1] == '-') {
                closed = 1;
                break; /* the closing delimiter */
            }
            part = nl ? nl + 1 : end;
        }
        p = nl ? nl + 1 : end;
    }
    /* No closing delimiter (cut short, or malformed): the last part runs to the end. */
    if (found == NULL && *problem == NULL && !closed && part != NULL && part < end) {
        struct head ph;
        const char *pb;
        size_t pbl;
        head_parse(part, (size_t)(end - part), &ph, &pb, &pbl);
        found = find_text(&ph, pb, pbl, depth + 1, problem);
        head_free(&ph);
    }
    free(delim);
    return found;
}

/* ---- quoted history ---- */

static int
starts(const char *line, size_t n, const char *prefix)
{
    size_t k = strlen(prefix);
    return n >= k && strncasecmp(line, prefix, k) == 0;
}

static int
ends_with(const char *line, size_t n, const char *suffix)
{
    size_t k = strlen(suffix);
    while (n > 0 && (line[n - 1] == ' ' || line[n - 1] == '\r' || line[n - 1] == '\t'))
        n--;
    return n >= k && strncasecmp(line + n - k, suffix, k) == 0;
}

/* "On ..., X wrote:", "Den ... skrev X:": a line ending in ':' that says wrote or skrev. */
static int
attribution(const char *line, size_t n)
{
    char buf[512];
    if (!ends_with(line, n, ":"))
        return 0;
    size_t k = n < sizeof(buf) - 1 ? n : sizeof(buf) - 1;
    memcpy(buf, line, k);
    buf[k] = '\0';
    return strstr(buf, "wrote") != NULL || strstr(buf, "skrev") != NULL ||
           strstr(buf, "schrieb") != NULL || strstr(buf, "a écrit") != NULL;
}

char *
mail_strip_quoted(const char *text)
{
    size_t keep = strlen(text), prev_start = (size_t)-1, prev_len = 0;
    const char *p = text;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        size_t at = (size_t)(p - text);
        int cut = 0;
        if (n > 0 && p[0] == '>') {
            cut = 1;
            /* "On ... wrote:" just above the quote goes too */
            if (prev_start != (size_t)-1 && attribution(text + prev_start, prev_len))
                at = prev_start;
        } else if (starts(p, n, "-----Original Message-----") ||
                   starts(p, n, "-----Opprinnelig melding-----") ||
                   (n == 3 && memcmp(p, "-- ", 3) == 0) || (n == 4 && memcmp(p, "-- \r", 4) == 0)) {
            cut = 1;
        } else if (attribution(p, n) && nl && nl[1] == '>') {
            cut = 1;
        }
        if (cut) {
            keep = at;
            break;
        }
        if (n > 0 && !(n == 1 && p[0] == '\r')) {
            prev_start = at;
            prev_len = n;
        }
        p = nl ? nl + 1 : p + n;
    }
    /* Trim blank ends. */
    size_t s = 0;
    while (s < keep && (text[s] == '\n' || text[s] == '\r' || text[s] == ' ' || text[s] == '\t'))
        s++;
    while (keep > s && (text[keep - 1] == '\n' || text[keep - 1] == '\r' || text[keep - 1] == ' ' ||
                        text[keep - 1] == '\t'))
        keep--;
    char *r = dup_n(text + s, keep - s);
    /* CRLF to LF */
    char *w = r;
    for (char *q = r; *q; q++)
        if (!(*q == '\r' && q[1] == '\n'))
            *w++ = *q;
    *w = '\0';
    return r;
}

/* ---- a whole message ---- */

void
mail_parsed_free(struct mail_parsed *m)
{
    free(m->message_id);
    free(m->from);
    free(m->subject);
    free(m->refs);
    for (size_t i = 0; i < m->nto; i++)
        free(m->to[i]);
    free(m->to);
    free(m->text);
    memset(m, 0, sizeof(*m));
}

void
mail_parse(const char *raw, size_t len, struct mail_parsed *out)
{
    struct head h;
    const char *body;
    size_t blen;
    memset(out, 0, sizeof(*out));
    head_parse(raw, len, &h, &body, &blen);
    const char *mid = head_get(&h, "Message-ID");
    const char *lt = mid ? strchr(mid, '<') : NULL, *gt = lt ? strchr(lt, '>') : NULL;
    if (gt != NULL && gt - lt < 1000) {
        out->message_id = clean(dup_n(lt, (size_t)(gt - lt + 1)));
    } else {
        /* No id of its own: its bytes name it, so the same copy is applied once. */
        unsigned char d[crypto_hash_sha256_BYTES];
        char hex[2 * crypto_hash_sha256_BYTES + 1];
        crypto_hash_sha256(d, (const unsigned char *)raw, len);
        sodium_bin2hex(hex, sizeof(hex), d, sizeof(d));
        out->message_id = xasprintf("<sha256.%s@seam.invalid>", hex);
    }
    char **from = NULL;
    size_t nfrom = 0;
    const char *fv = head_get(&h, "From");
    if (fv != NULL)
        addresses(fv, &from, &nfrom);
    out->from = clean(nfrom == 1 ? xstrdup(from[0]) : xstrdup(""));
    for (size_t i = 0; i < nfrom; i++)
        free(from[i]);
    free(from);
    const char *sv = head_get(&h, "Subject");
    out->subject = mail_decode_words(sv ? sv : "");
    if (strlen(out->subject) > 998) { /* cut on a character's boundary */
        size_t n = 998;
        while (n > 0 && ((unsigned char)out->subject[n] & 0xC0) == 0x80)
            n--;
        out->subject[n] = '\0';
    }
    const char *irt = head_get(&h, "In-Reply-To"), *refs = head_get(&h, "References");
    out->refs = clean(xasprintf("%s %s", irt ? irt : "", refs ? refs : ""));
    for (size_t i = 0; i < h.n; i++)
        if (strcasecmp(h.f[i].name, "To") == 0 || strcasecmp(h.f[i].name, "Cc") == 0)
            addresses(h.f[i].value, &out->to, &out->nto);
    const char *as = head_get(&h, "Auto-Submitted"), *prec = head_get(&h, "Precedence");
    out->automatic =
        (as && strncasecmp(as, "no", 2) != 0) ||
        (prec && (strncasecmp(prec, "bulk", 4) == 0 || strncasecmp(prec, "list", 4) == 0 ||
                  strncasecmp(prec, "junk", 4) == 0));
    if (nfrom != 1)
        out->problem = "no single sender address";
    const char *problem = NULL;
    char *text = find_text(&h, body, blen, 0, &problem);
    if (problem != NULL && out->problem == NULL)
        out->problem = problem;
    if (text == NULL && out->problem == NULL)
        out->problem = "no text/plain part";
    out->text = text ? mail_strip_quoted(text) : xstrdup("");
    free(text);
    head_free(&h);
}

int
mail_ticket_ref(const char *refs, const char *domain, char *tid, size_t tidsz)
{
    const char *p = refs;
    while ((p = strchr(p, '<')) != NULL) {
        const char *e = strchr(p, '>');
        if (e == NULL)
            return -1;
        const char *at = memchr(p, '@', (size_t)(e - p));
        size_t dl = strlen(domain);
        if (at != NULL && (size_t)(e - at - 1) == dl && strncasecmp(at + 1, domain, dl) == 0) {
            size_t n = strcspn(p + 1, ".@");
            if (n < tidsz) {
                memcpy(tid, p + 1, n);
                tid[n] = '\0';
                if (ticket_id_valid(tid))
                    return 0;
            }
        }
        p = e + 1;
    }
    return -1;
}

/* ---- the triage queue ---- */

static const char TRIAGE_SEQ[] = "triage_seq";

/* The first n bytes of s at most, cut on a UTF-8 boundary. Free it. */
static char *
cut_utf8(const char *s, size_t n)
{
    size_t len = strlen(s);
    if (len <= n)
        return xstrdup(s);
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    return dup_n(s, n);
}

static enum seam_err
triage_add(struct store_txn *t, const struct mail_parsed *m, const char *reason, const char *ticket,
           size_t size, char id_out[32])
{
    uint8_t sk[8];
    uint64_t seq;
    char at[32], key[40];
    enum seam_err rc = store_get_u64(t, DB_META, TRIAGE_SEQ, strlen(TRIAGE_SEQ), &seq);
    if (rc != SEAM_OK && rc != SEAM_ENOTFOUND)
        return rc;
    seq++;
    be64_put(sk, seq);
    if ((rc = store_put(t, DB_META, TRIAGE_SEQ, strlen(TRIAGE_SEQ), sk, 8, 0)) != SEAM_OK)
        return rc;
    snprintf(id_out, 32, "tri_%016llx", (unsigned long long)seq);
    snprintf(key, sizeof(key), "triage/%016llx", (unsigned long long)seq);
    format_time_ms(now_ms(), at);
    char *text = cut_utf8(m->text ? m->text : "", TEXT_KEEP);
    char *subject = cut_utf8(m->subject ? m->subject : "", 998);
    json_t *to = json_array();
    for (size_t i = 0; i < m->nto && i < 20; i++)
        json_array_append_new(to, json_string(m->to[i]));
    json_t *item =
        json_pack("{s:s, s:s, s:s, s:o, s:s, s:s, s:s, s:I, s:s, s:s}", "id", id_out, "message_id",
                  m->message_id, "from", m->from, "to", to, "subject", subject, "reason", reason,
                  "text", text, "size", (json_int_t)size, "received_at", at, "state", "open");
    free(text);
    free(subject);
    if (item == NULL)
        return SEAM_EINVAL; /* not UTF-8: never, the parser made it so */
    if (ticket != NULL)
        json_object_set_new(item, "ticket", json_string(ticket));
    char *dump = json_dumps(item, JSON_COMPACT);
    json_decref(item);
    rc = store_put(t, DB_META, key, strlen(key), dump, strlen(dump), 0);
    free(dump);
    return rc;
}

struct triage_page {
    const char *cursor;
    const char *state; /* NULL: every state */
    unsigned limit;
    json_t *items;
    int more;
};

static int
triage_one(void *arg, struct store_val k, struct store_val v)
{
    struct triage_page *tp = arg;
    char id[32];
    if (k.len != 23)
        return 0;
    snprintf(id, sizeof(id), "tri_%.16s", (const char *)k.data + 7);
    if (tp->cursor != NULL && strcmp(id, tp->cursor) <= 0)
        return 0;
    json_t *item = json_loadb(v.data, v.len, 0, NULL);
    if (item == NULL)
        return 0;
    if (json_object_get(item, "state") == NULL) /* items from before resolutions */
        json_object_set_new(item, "state", json_string("open"));
    if (tp->state != NULL && strcmp(tp->state, json_string_value(json_object_get(item, "state")))) {
        json_decref(item);
        return 0;
    }
    if (json_array_size(tp->items) == tp->limit) {
        json_decref(item);
        tp->more = 1;
        return 1;
    }
    json_array_append_new(tp->items, item);
    return 0;
}

enum seam_err
mail_triage_list(struct store_txn *t, const char *cursor, const char *state, unsigned limit,
                 json_t **page)
{
    struct triage_page tp = {cursor, state, limit, json_array(), 0};
    if (cursor != NULL && (strlen(cursor) != 20 || strncmp(cursor, "tri_", 4) != 0)) {
        json_decref(tp.items);
        return SEAM_EINVAL;
    }
    enum seam_err rc = store_scan_prefix(t, DB_META, "triage/", triage_one, &tp);
    if (rc != SEAM_OK) {
        json_decref(tp.items);
        return rc;
    }
    size_t n = json_array_size(tp.items);
    json_t *last = n ? json_object_get(json_array_get(tp.items, n - 1), "id") : NULL;
    *page = json_pack("{s:o, s:o}", "items", tp.items, "next_cursor",
                      tp.more && last ? json_incref(last) : json_null());
    return SEAM_OK;
}

/* ---- resolving a triage item (the lead's desk) ---- */

static int complaint_input(const struct config *cfg, const struct mail_parsed *m,
                           struct ticket_input *in, const char **reason);

struct resolve_ctx {
    const struct ticket_ctx *c;
    struct principal who;
    struct ticket_action_req a;
    struct ticket tk;
    struct ticket_refusal why;
    struct ticket_input in;
};

static enum seam_err
resolve_note(struct store_txn *t, void *arg)
{
    struct resolve_ctx *n = arg;
    ticket_free(&n->tk);
    return ticket_act(t, n->c, &n->who, &n->a, &n->tk, &n->why);
}

static enum seam_err
resolve_file(struct store_txn *t, void *arg)
{
    struct resolve_ctx *n = arg;
    ticket_free(&n->tk);
    return ticket_create(t, n->c, &n->who, &n->in, &n->tk);
}

/* The customer whose word the mail becomes; -1 with *why set if the lead must confirm or name it.
 */
static int
resolve_customer(struct store_txn *t, const char *from, const char *want, int confirm,
                 char cust[64], const char **why)
{
    char sender[64];
    int known = from != NULL && customer_by_email(t, from, sender) == SEAM_OK;
    if (want == NULL) {
        if (!known) {
            *why = "the sender is no customer's address: name the customer";
            return -1;
        }
        snprintf(cust, 64, "%s", sender);
        return 0;
    }
    if ((!known || strcmp(sender, want) != 0) && !confirm) {
        *why = "the sender is not this customer's address: set confirm_sender to say it is theirs";
        return -1;
    }
    snprintf(cust, 64, "%s", want);
    return 0;
}

enum seam_err
mail_triage_resolve(struct store_txn *t, const struct ticket_ctx *c,
                    const struct mail_triage_op *op, struct mail_triage_result *res)
{
    char key[40], cust[64], at[32];
    struct store_val v;
    json_t *item = NULL;
    struct resolve_ctx n = {.c = c};
    enum seam_err rc;
    ticket_free(&res->tk); /* apply may run again: start afresh */
    json_decref(res->item);
    memset(res, 0, sizeof(*res));
    if (strlen(op->id) != 20 || strncmp(op->id, "tri_", 4) != 0)
        return SEAM_ENOTFOUND;
    snprintf(key, sizeof(key), "triage/%s", op->id + 4);
    if ((rc = store_get(t, DB_META, key, strlen(key), &v)) != SEAM_OK)
        return rc;
    item = json_loadb(v.data, v.len, 0, NULL);
    if (!json_is_object(item)) {
        json_decref(item);
        return SEAM_ECORRUPT;
    }
    const char *state = json_string_value(json_object_get(item, "state"));
    if (state != NULL && strcmp(state, "open") != 0) {
        res->why = "this item was resolved already";
        rc = SEAM_ECONFLICT;
        goto out;
    }
    const char *from = json_string_value(json_object_get(item, "from"));
    const char *text = json_string_value(json_object_get(item, "text"));
    const char *subject = json_string_value(json_object_get(item, "subject"));
    n.who.role = ROLE_CUSTOMER;
    snprintf(n.who.token_id, sizeof(n.who.token_id), "mail");
    if (strcmp(op->op, "attach") == 0) {
        struct ticket tk;
        if ((rc = ticket_load(t, op->ticket, &tk)) != SEAM_OK) {
            res->why = "no such ticket";
            res->field = "ticket";
            rc = rc == SEAM_ENOTFOUND ? SEAM_EINVAL : rc;
            goto out;
        }
        int bad = tk.customer == NULL ||
                  resolve_customer(t, from, tk.customer, op->confirm_sender, cust, &res->why);
        if (tk.customer == NULL)
            res->why = "the ticket has no customer to speak for";
        ticket_free(&tk);
        if (bad) {
            res->field = "confirm_sender";
            rc = SEAM_EINVAL;
            goto out;
        }
        if (text == NULL || text[0] == '\0') {
            res->why = "the mail has no text to attach";
            rc = SEAM_EINVAL;
            goto out;
        }
        char *note = cut_utf8(text, DESCRIPTION_MAX);
        snprintf(n.who.subject, sizeof(n.who.subject), "%s", cust);
        n.a.kind = TA_NOTE;
        n.a.target = op->ticket;
        n.a.text = note;
        rc = store_nested(t, resolve_note, &n);
        free(note);
        if (rc == SEAM_ECONFLICT || rc == SEAM_ELIMIT || rc == SEAM_ETOOBIG || rc == SEAM_EINVAL ||
            rc == SEAM_ENOTFOUND) {
            res->why = "the ticket takes no note now (closed, or full)";
            rc = SEAM_ECONFLICT;
        }
        if (rc != SEAM_OK)
            goto out;
        json_object_set_new(item, "state", json_string("attached"));
    } else if (strcmp(op->op, "file") == 0) {
        json_t *rec = NULL;
        if (op->customer != NULL && (rc = customer_load(t, op->customer, &rec)) != SEAM_OK) {
            res->why = "no such customer";
            res->field = "customer";
            rc = rc == SEAM_ENOTFOUND ? SEAM_EINVAL : rc;
            goto out;
        }
        json_decref(rec);
        if (resolve_customer(t, from, op->customer, op->confirm_sender, cust, &res->why) != 0) {
            res->field = op->customer ? "confirm_sender" : "customer";
            rc = SEAM_EINVAL;
            goto out;
        }
        struct mail_parsed m = {.subject = (char *)(uintptr_t)(subject ? subject : ""),
                                .text = (char *)(uintptr_t)(text ? text : "")};
        snprintf(n.who.subject, sizeof(n.who.subject), "%s", cust);
        if (complaint_input(c->cfg, &m, &n.in, &res->why) != 0) {
            rc = SEAM_EINVAL;
            goto out;
        }
        rc = store_nested(t, resolve_file, &n);
        if (rc == SEAM_EINVAL || rc == SEAM_ELIMIT || rc == SEAM_ETOOBIG || rc == SEAM_ECONFLICT ||
            rc == SEAM_ENOTFOUND) {
            res->why = "the complaint could not be filed";
            rc = SEAM_ECONFLICT;
        }
        if (rc != SEAM_OK)
            goto out;
        json_object_set_new(item, "state", json_string("filed"));
    } else {
        json_object_set_new(item, "state", json_string("dismissed"));
        json_object_set_new(item, "dismiss_reason", json_string(op->reason));
    }
    if (n.tk.id[0] != '\0') {
        json_object_set_new(item, "resolved_ticket", json_string(n.tk.id));
        json_object_set_new(item, "customer", json_string(cust));
        res->tk = n.tk;
        memset(&n.tk, 0, sizeof(n.tk));
        res->has_ticket = 1;
    }
    format_time_ms(now_ms(), at);
    json_object_set_new(item, "resolved_at", json_string(at));
    json_object_set_new(item, "resolved_by", json_string(op->by));
    if (op->confirm_sender)
        json_object_set_new(item, "sender_confirmed", json_true());
    char *dump = json_dumps(item, JSON_COMPACT);
    rc = store_put(t, DB_META, key, strlen(key), dump, strlen(dump), 0);
    free(dump);
    if (rc == SEAM_OK)
        res->item = json_incref(item);
out:
    ticket_free(&n.tk);
    ticket_input_free(&n.in);
    json_decref(item);
    return rc;
}

/* ---- applying a message (the writer's thread) ---- */

struct apply_job {
    struct store_job job;
    struct mail_in *mi;
    struct mail_parsed m;
    size_t size;
    const char *too_large; /* the message was over the limit: only its head was read */
    /* what it did, for after the commit */
    int duplicate, triaged;
    struct ticket tk;
    int has_ticket;
    char outcome[64];
    char ref[64]; /* the ticket a reply named, for its triage item */
};

static int
subject_is_unsubscribe(const char *s)
{
    while (*s == ' ')
        s++;
    /* "unsubscribe", also as "Re: unsubscribe" */
    if (strncasecmp(s, "re:", 3) == 0 || strncasecmp(s, "sv:", 3) == 0 ||
        strncasecmp(s, "aw:", 3) == 0)
        s += 3;
    while (*s == ' ')
        s++;
    return strncasecmp(s, "unsubscribe", 11) == 0 && (s[11] == '\0' || s[11] == ' ');
}

struct note_ctx {
    const struct ticket_ctx *c;
    struct principal who;
    struct ticket_action_req a;
    struct ticket tk;
    struct ticket_refusal why;
    struct ticket_input in;
};

static enum seam_err
note_apply(struct store_txn *t, void *arg)
{
    struct note_ctx *n = arg;
    ticket_free(&n->tk);
    return ticket_act(t, n->c, &n->who, &n->a, &n->tk, &n->why);
}

static enum seam_err
file_apply(struct store_txn *t, void *arg)
{
    struct note_ctx *n = arg;
    ticket_free(&n->tk);
    return ticket_create(t, n->c, &n->who, &n->in, &n->tk);
}

/* The complaint a new mail files: $.mail.complaint_facts; -1 (reason set) if it cannot. */
static int
complaint_input(const struct config *cfg, const struct mail_parsed *m, struct ticket_input *in,
                const char **reason)
{
    memset(in, 0, sizeof(*in));
    in->priority = PRIO_NORMAL;
    in->channel = ticket_channels[CH_EMAIL];
    json_t *facts = cfg->mail.complaint_facts;
    for (size_t k = 0; k < cfg->nfact_kinds; k++) {
        const struct fact_kind *fk = &cfg->fact_kinds[k];
        if (fk->source != FACT_FROM_COMPLAINT)
            continue;
        const char *v = json_string_value(json_object_get(facts, fk->name));
        if (v != NULL && !strlist_has(&cfg->vocab[k], v)) {
            *reason = "complaint_facts holds a value outside its fact's vocabulary";
            return -1;
        }
        if (v == NULL && !fk->optional) {
            *reason = "complaint_facts lacks a fact a complaint must have";
            return -1;
        }
        in->facts[k] = v ? xstrdup(v) : NULL;
    }
    char *summary = cut_utf8(m->subject[0] ? m->subject : "(no subject)", SUMMARY_MAX);
    in->summary = summary;
    in->description = cut_utf8(m->text[0] ? m->text : "(no text)", DESCRIPTION_MAX);
    return 0;
}

static void
note_ctx_free(struct note_ctx *n)
{
    ticket_free(&n->tk);
    ticket_input_free(&n->in);
}

static enum seam_err
decide(struct store_txn *t, struct apply_job *aj, const char **reason, const char **ticket_ref)
{
    struct server *srv = aj->mi->srv;
    const struct config *cfg = srv->cfg;
    const struct mail_parsed *m = &aj->m;
    struct ticket_ctx c = {cfg, &srv->lg, srv->sla};
    char cust[64], tid[64];
    char *tid_keep = aj->ref;
    enum seam_err rc;
    *ticket_ref = NULL;
    if (aj->too_large) {
        *reason = aj->too_large;
        return SEAM_OK;
    }
    if (m->problem) {
        *reason = m->problem;
        return SEAM_OK;
    }
    if (m->automatic) {
        *reason = "an automatic message (Auto-Submitted or Precedence)";
        return SEAM_OK;
    }
    int known = customer_by_email(t, m->from, cust) == SEAM_OK;
    if (mail_ticket_ref(m->refs, mail_domain(cfg), tid, sizeof(tid)) == 0) {
        struct ticket tk;
        snprintf(tid_keep, sizeof(aj->ref), "%s", tid);
        rc = ticket_load(t, tid, &tk);
        if (rc == SEAM_ENOTFOUND) {
            *reason = "a reply naming no ticket of ours";
            return SEAM_OK;
        }
        if (rc != SEAM_OK)
            return rc;
        int same = known && tk.customer != NULL && strcmp(tk.customer, cust) == 0;
        ticket_free(&tk);
        if (!same) {
            /* Another customer's ticket, or a sender we do not know: never attached. */
            *reason = "the sender is not the customer of the ticket it replies to";
            *ticket_ref = tid_keep;
            return SEAM_OK;
        }
        if (subject_is_unsubscribe(m->subject)) {
            rc = customer_set_mail(t, cust, NULL, NULL, 0, NULL);
            snprintf(aj->outcome, sizeof(aj->outcome), "unsubscribed");
            return rc;
        }
        if (m->text[0] == '\0') {
            *reason = "a reply with no text of its own";
            *ticket_ref = tid_keep;
            return SEAM_OK;
        }
        struct note_ctx n = {.c = &c};
        n.who.role = ROLE_CUSTOMER;
        snprintf(n.who.subject, sizeof(n.who.subject), "%s", cust);
        snprintf(n.who.token_id, sizeof(n.who.token_id), "mail");
        char *text = cut_utf8(m->text, DESCRIPTION_MAX);
        n.a.kind = TA_NOTE;
        n.a.target = tid;
        n.a.text = text;
        rc = store_nested(t, note_apply, &n);
        free(text);
        if (rc == SEAM_OK) {
            aj->tk = n.tk;
            memset(&n.tk, 0, sizeof(n.tk));
            aj->has_ticket = 1;
            snprintf(aj->outcome, sizeof(aj->outcome), "note");
        } else if (rc == SEAM_ECONFLICT || rc == SEAM_ELIMIT || rc == SEAM_ETOOBIG ||
                   rc == SEAM_EINVAL || rc == SEAM_ENOTFOUND) {
            *reason = "the ticket takes no note now (closed, or full)";
            *ticket_ref = tid_keep;
            rc = SEAM_OK;
        }
        note_ctx_free(&n);
        return rc;
    }
    int to_support = 0;
    for (size_t i = 0; i < m->nto; i++)
        to_support |= strcasecmp(m->to[i], cfg->mail.support_address) == 0;
    if (!to_support) {
        *reason = "not addressed to the support address";
        return SEAM_OK;
    }
    if (!known) {
        *reason = "a sender who is no customer's address";
        return SEAM_OK;
    }
    if (subject_is_unsubscribe(m->subject)) {
        snprintf(aj->outcome, sizeof(aj->outcome), "unsubscribed");
        return customer_set_mail(t, cust, NULL, NULL, 0, NULL);
    }
    struct note_ctx n = {.c = &c};
    n.who.role = ROLE_CUSTOMER;
    snprintf(n.who.subject, sizeof(n.who.subject), "%s", cust);
    snprintf(n.who.token_id, sizeof(n.who.token_id), "mail");
    if (complaint_input(cfg, m, &n.in, reason) != 0) {
        note_ctx_free(&n);
        return SEAM_OK;
    }
    rc = store_nested(t, file_apply, &n);
    if (rc == SEAM_OK) {
        aj->tk = n.tk;
        memset(&n.tk, 0, sizeof(n.tk));
        aj->has_ticket = 1;
        snprintf(aj->outcome, sizeof(aj->outcome), "complaint");
    } else if (rc == SEAM_EINVAL || rc == SEAM_ELIMIT || rc == SEAM_ETOOBIG ||
               rc == SEAM_ECONFLICT || rc == SEAM_ENOTFOUND) {
        *reason = "the complaint could not be filed";
        rc = SEAM_OK;
    }
    note_ctx_free(&n);
    return rc;
}

static enum seam_err
apply_message(struct store_txn *t, struct store_job *job)
{
    struct apply_job *aj = (struct apply_job *)job;
    unsigned char d[crypto_hash_sha256_BYTES];
    char hex[2 * crypto_hash_sha256_BYTES + 1], key[96], at[32];
    struct store_val v;
    const char *reason = NULL, *ticket_ref = NULL;
    ticket_free(&aj->tk); /* a retried batch starts afresh */
    aj->has_ticket = aj->duplicate = aj->triaged = 0;
    aj->outcome[0] = '\0';
    crypto_hash_sha256(d, (const unsigned char *)aj->m.message_id, strlen(aj->m.message_id));
    sodium_bin2hex(hex, sizeof(hex), d, sizeof(d));
    snprintf(key, sizeof(key), "mail_in/%s", hex);
    enum seam_err rc = store_get(t, DB_META, key, strlen(key), &v);
    if (rc == SEAM_OK) {
        aj->duplicate = 1;
        return SEAM_OK;
    }
    if (rc != SEAM_ENOTFOUND)
        return rc;
    if ((rc = decide(t, aj, &reason, &ticket_ref)) != SEAM_OK)
        return rc;
    char tri[32] = "";
    if (reason != NULL) {
        if ((rc = triage_add(t, &aj->m, reason, ticket_ref, aj->size, tri)) != SEAM_OK)
            return rc;
        aj->triaged = 1;
        snprintf(aj->outcome, sizeof(aj->outcome), "triage");
    }
    format_time_ms(now_ms(), at);
    json_t *rec = json_pack("{s:s, s:s, s:s}", "message_id", aj->m.message_id, "at", at, "outcome",
                            aj->outcome);
    if (aj->has_ticket)
        json_object_set_new(rec, "ticket", json_string(aj->tk.id));
    if (tri[0])
        json_object_set_new(rec, "triage", json_string(tri));
    char *dump = json_dumps(rec, JSON_COMPACT);
    json_decref(rec);
    rc = store_put(t, DB_META, key, strlen(key), dump, strlen(dump), 0);
    free(dump);
    return rc;
}

static void
apply_done(struct store_job *job)
{
    struct apply_job *aj = (struct apply_job *)job;
    struct mail_in *mi = aj->mi;
    if (job->rc == SEAM_OK) {
        if (aj->duplicate)
            atomic_fetch_add(&n_duplicates, 1);
        else if (aj->triaged)
            atomic_fetch_add(&n_triaged, 1);
        else
            atomic_fetch_add(&n_applied, 1);
        if (aj->has_ticket)
            fanout_ticket_committed(&aj->tk);
        forward_kick(mi->srv->fwd);
    }
    pthread_mutex_lock(&mi->mu);
    mi->done = 1;
    pthread_cond_broadcast(&mi->cv);
    pthread_mutex_unlock(&mi->mu);
}

/* ---- fetching (the mail thread) ---- */

struct sink {
    struct json_text t;
    size_t max;
    int over;
};

static size_t
to_sink(char *ptr, size_t size, size_t n, void *ctx)
{
    struct sink *s = ctx;
    size_t len = size * n;
    if (s->t.len + len > s->max) {
        s->over = 1;
        return 0; /* stops the transfer */
    }
    json_text_add(&s->t, ptr, len);
    return len;
}

/* A transfer stops when the broker does: a slow mailbox never holds up its shutdown. */
static int
on_progress(void *ctx, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
    const struct mail_in *mi = ctx;
    (void)dt;
    (void)dn;
    (void)ut;
    (void)un;
    return mi->stopping;
}

static CURL *
imap_handle(struct mail_in *mi, const char *url, struct sink *s)
{
    const struct config *cfg = mi->srv->cfg;
    CURL *e = curl_easy_init();
    if (e == NULL)
        return NULL;
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_USERNAME, cfg->mail.imap_user);
    curl_easy_setopt(e, CURLOPT_PASSWORD, cfg->mail.imap_password);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "imap,imaps");
    /* imap://: STARTTLS when the server offers it (imaps:// is TLS from the start, verified). */
    curl_easy_setopt(e, CURLOPT_USE_SSL, (long)CURLUSESSL_TRY);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 60000L);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, to_sink);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, s);
    curl_easy_setopt(e, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(e, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(e, CURLOPT_XFERINFODATA, mi);
    return e;
}

/* The mailbox URL without a trailing slash. Free it. */
static char *
box_url(const struct config *cfg)
{
    char *u = xstrdup(cfg->mail.imap_url);
    size_t n = strlen(u);
    while (n > 0 && u[n - 1] == '/')
        u[--n] = '\0';
    return u;
}

/* The UIDs of the messages not yet processed; -1 if the mailbox could not be read. */
static int
search(struct mail_in *mi, unsigned long *uids, size_t max, size_t *n)
{
    const struct config *cfg = mi->srv->cfg;
    struct sink s = {{0}, 1 << 20, 0};
    char *url = box_url(cfg);
    CURL *e = imap_handle(mi, url, &s);
    free(url);
    *n = 0;
    if (e == NULL)
        return -1;
    curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, "UID SEARCH UNKEYWORD " KEYWORD);
    CURLcode res = curl_easy_perform(e);
    curl_easy_cleanup(e);
    if (res != CURLE_OK) {
        log_warnx("mail: searching the mailbox failed error=\"%s\"", curl_easy_strerror(res));
        free(s.t.data);
        return -1;
    }
    json_text_add(&s.t, "", 0);
    const char *p = s.t.data ? strstr(s.t.data, "* SEARCH") : NULL;
    if (p != NULL) {
        p += 8;
        while (*n < max) {
            char *end;
            unsigned long u = strtoul(p, &end, 10);
            if (end == p)
                break;
            uids[(*n)++] = u;
            p = end;
        }
    }
    free(s.t.data);
    return 0;
}

/* Fetches one message: *raw (free it), or its head only with *too_large set. */
static int
fetch(struct mail_in *mi, unsigned long uid, char **raw, size_t *len, size_t *size,
      const char **too_large)
{
    const struct config *cfg = mi->srv->cfg;
    char *base = box_url(cfg);
    char *url = xasprintf("%s/;UID=%lu", base, uid);
    struct sink s = {{0}, cfg->mail.max_message_bytes, 0};
    CURL *e = imap_handle(mi, url, &s);
    CURLcode res = e ? curl_easy_perform(e) : CURLE_FAILED_INIT;
    if (e)
        curl_easy_cleanup(e);
    free(url);
    *too_large = NULL;
    *size = s.t.len;
    if (s.over) {
        free(s.t.data);
        memset(&s, 0, sizeof(s));
        s.max = HEAD_MAX;
        url = xasprintf("%s/;UID=%lu;SECTION=HEADER", base, uid);
        e = imap_handle(mi, url, &s);
        res = e ? curl_easy_perform(e) : CURLE_FAILED_INIT;
        if (e)
            curl_easy_cleanup(e);
        free(url);
        *too_large = "a message larger than mail.max_message_bytes (only its head was read)";
        *size = cfg->mail.max_message_bytes + 1;
        if (s.over) /* a head that large: what was read is enough to name it */
            res = CURLE_OK;
    }
    free(base);
    if (res != CURLE_OK) {
        log_warnx("mail: fetching uid=%lu failed error=\"%s\"", uid, curl_easy_strerror(res));
        free(s.t.data);
        return -1;
    }
    json_text_add(&s.t, "", 0);
    *raw = s.t.data ? s.t.data : xstrdup("");
    *len = s.t.len;
    return 0;
}

/* Marks a message processed (after its commit). A failure only means it is fetched again. */
static void
mark(struct mail_in *mi, unsigned long uid)
{
    struct sink s = {{0}, 1 << 16, 0};
    char *url = box_url(mi->srv->cfg);
    char *cmd = xasprintf("UID STORE %lu +FLAGS (%s \\Seen)", uid, KEYWORD);
    CURL *e = imap_handle(mi, url, &s);
    if (e != NULL) {
        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, cmd);
        CURLcode res = curl_easy_perform(e);
        if (res != CURLE_OK)
            log_warnx("mail: marking uid=%lu failed error=\"%s\"", uid, curl_easy_strerror(res));
        curl_easy_cleanup(e);
    }
    free(s.t.data);
    free(url);
    free(cmd);
}

/* Applies one fetched message through the writer; 0 once committed. */
static int
apply(struct mail_in *mi, unsigned long uid, char *raw, size_t len, size_t size,
      const char *too_large)
{
    struct apply_job *aj = xcalloc(1, sizeof(*aj));
    aj->job.apply = apply_message;
    aj->job.done = apply_done;
    aj->mi = mi;
    aj->size = size;
    aj->too_large = too_large;
    mail_parse(raw, len, &aj->m);
    pthread_mutex_lock(&mi->mu);
    mi->done = 0;
    pthread_mutex_unlock(&mi->mu);
    int ok = -1;
    if (store_submit(mi->srv->store, &aj->job) == SEAM_OK) {
        pthread_mutex_lock(&mi->mu);
        while (!mi->done)
            pthread_cond_wait(&mi->cv, &mi->mu);
        pthread_mutex_unlock(&mi->mu);
        ok = aj->job.rc == SEAM_OK ? 0 : -1;
        log_info("mail: uid=%lu message_id=%s outcome=%s%s%s", uid, aj->m.message_id,
                 aj->duplicate ? "duplicate" : aj->outcome, aj->has_ticket ? " ticket=" : "",
                 aj->has_ticket ? aj->tk.id : "");
        if (ok != 0)
            log_warnx("mail: uid=%lu not applied error=\"%s\"", uid, seam_strerror(aj->job.rc));
    }
    mail_parsed_free(&aj->m);
    ticket_free(&aj->tk);
    free(aj);
    return ok;
}

static void
poll_once(struct mail_in *mi)
{
    unsigned long uids[ROUND_MAX];
    size_t n;
    if (search(mi, uids, ROUND_MAX, &n) != 0)
        return;
    for (size_t i = 0; i < n && !mi->stopping; i++) {
        char *raw = NULL;
        size_t len, size;
        const char *too_large;
        if (fetch(mi, uids[i], &raw, &len, &size, &too_large) != 0)
            continue;
        int ok = apply(mi, uids[i], raw, len, size, too_large);
        free(raw);
        if (ok == 0)
            mark(mi, uids[i]);
    }
}

static void *
mail_in_main(void *arg)
{
    struct mail_in *mi = arg;
    pthread_mutex_lock(&mi->mu);
    while (!mi->stopping) {
        pthread_mutex_unlock(&mi->mu);
        poll_once(mi);
        pthread_mutex_lock(&mi->mu);
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        int64_t ns = (int64_t)ts.tv_nsec + (int64_t)mi->srv->cfg->mail.poll_ms * 1000000;
        ts.tv_sec += (time_t)(ns / 1000000000);
        ts.tv_nsec = (long)(ns % 1000000000);
        while (!mi->stopping && pthread_cond_timedwait(&mi->cv, &mi->mu, &ts) == 0)
            ;
    }
    pthread_mutex_unlock(&mi->mu);
    return NULL;
}

struct mail_in *
mail_in_start(struct server *srv)
{
    if (!srv->cfg->mail.on || srv->cfg->mail.imap_url == NULL)
        return NULL;
    struct mail_in *mi = xcalloc(1, sizeof(*mi));
    mi->srv = srv;
    pthread_mutex_init(&mi->mu, NULL);
    pthread_cond_init(&mi->cv, NULL);
    if (pthread_create(&mi->thread, NULL, mail_in_main, mi) != 0)
        fatalx("cannot start the mail thread");
    mi->running = 1;
    return mi;
}

void
mail_in_stop(struct mail_in *mi)
{
    if (mi == NULL)
        return;
    pthread_mutex_lock(&mi->mu);
    mi->stopping = 1;
    pthread_cond_broadcast(&mi->cv);
    pthread_mutex_unlock(&mi->mu);
    if (mi->running)
        pthread_join(mi->thread, NULL);
    pthread_mutex_destroy(&mi->mu);
    pthread_cond_destroy(&mi->cv);
    free(mi);
}
