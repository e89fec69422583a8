/*
 * api_attachments.c: a ticket's attachments (attach.h): upload one, list
 * them, fetch one. An upload is the raw file as the body, its type
 * declared in Content-Type and judged by its content (PNG, JPEG, PDF,
 * plain UTF-8 text), at most limits.max_attachment_bytes, and the ticket's
 * attachments at most limits.max_attachments_per_ticket and
 * limits.max_attachment_bytes_per_ticket together; it is stored by the
 * writer and answered only after the durable commit. Texts refer to
 * attachments by SHA-256 (the "attachments" of a note, a question, a
 * resolution... in api_actions.c); who may read one is
 * ticket_attachment_visible's to say, and every other principal gets the
 * same 404 as for an attachment that does not exist.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "attach.h"
#include "log.h"
#include "seam/evidence.h"
#include "ticket.h"

/* Loads a ticket who may see (ticket_free), or replies 404 (or the store's error) and -1. */
static int
ticket_or_reply(struct req *r, struct store_txn *t, struct ticket *tk)
{
    enum seam_err rc = ticket_load(t, http_param(r, 0), tk);
    if (rc == SEAM_OK && ticket_visible(tk, &r->who))
        return 0;
    if (rc == SEAM_OK)
        ticket_free(tk);
    if (rc == SEAM_OK || rc == SEAM_ENOTFOUND)
        http_error(r, E_NOT_FOUND, "no such ticket", NULL);
    else
        http_error_from(r, rc, "ticket load");
    return -1;
}

/* What an answer shows of an attachment's description: sha256, size, type, name, at. */
static json_t *
meta_view(const struct ticket *tk, const char *sha, const json_t *meta, const struct principal *who)
{
    json_t *v = json_pack("{s:s, s:O, s:O, s:O, s:O}", "sha256", sha, "size",
                          json_object_get(meta, "size"), "type", json_object_get(meta, "type"),
                          "name", json_object_get(meta, "name"), "at", json_object_get(meta, "at"));
    if (v == NULL)
        return json_object();
    if (who->role == ROLE_LEAD || who->role == ROLE_AUDITOR) {
        json_object_set(v, "by", json_object_get(meta, "by"));
    }
    /* the events that refer to it, those who may see the reference */
    json_t *events = json_array(), *ref;
    size_t i;
    json_array_foreach(json_object_get(meta, "refs"), i, ref)
    {
        json_int_t seq = json_integer_value(json_object_get(ref, "seq"));
        if (tk == NULL || !ticket_attachment_ref_visible(tk, ref, who))
            continue;
        char at[32];
        const struct timeline_entry *e = &tk->timeline[seq];
        format_time_ms(e->at, at);
        json_array_append_new(events, json_pack("{s:I, s:s, s:s}", "seq", (json_int_t)seq, "type",
                                                event_types[e->type].name, "at", at));
    }
    json_object_set_new(v, "events", events);
    return v;
}

struct upload_job {
    struct store_job job;
    struct req *r;
    char tid[TICKET_ID_LEN + 1];
    char sha[2 * SEAM_HASH_LEN + 1];
    json_t *meta;
    json_t *stored; /* attach_put's answer */
    const char *over;
    int existed;
};

static void
upload_job_free(void *p)
{
    struct upload_job *uj = p;
    if (uj == NULL)
        return;
    json_decref(uj->meta);
    json_decref(uj->stored);
    free(uj);
}

static enum seam_err
upload_apply(struct store_txn *t, struct store_job *job)
{
    struct upload_job *uj = (struct upload_job *)job;
    const struct config *cfg = uj->r->cfg;
    json_decref(uj->stored); /* a retried batch starts afresh */
    uj->stored = NULL;
    uj->existed = 0;
    enum seam_err rc = attach_put(t, uj->tid, uj->sha, uj->r->body, uj->r->body_len, uj->meta,
                                  cfg->max_attachments_per_ticket,
                                  cfg->max_attachment_bytes_per_ticket, &uj->over, &uj->stored);
    if (rc == SEAM_EEXIST) {
        uj->existed = 1; /* the same bytes again: one attachment, nothing written */
        rc = SEAM_OK;
    }
    return rc;
}

static void
upload_finish(struct req *r)
{
    struct upload_job *uj = r->job;
    switch (uj->job.rc) {
    case SEAM_OK:
        r->location = xasprintf("/v1/tickets/%s/attachments/%s", uj->tid, uj->sha);
        http_reply(r, uj->existed ? 200 : 201,
                   json_pack("{s:s, s:O, s:O, s:O}", "sha256", uj->sha, "size",
                             json_object_get(uj->stored, "size"), "type",
                             json_object_get(uj->stored, "type"), "name",
                             json_object_get(uj->stored, "name")));
        break;
    case SEAM_ELIMIT: {
        char msg[160];
        if (strcmp(uj->over, "count") == 0)
            snprintf(msg, sizeof(msg),
                     "the ticket holds %u attachments, as many as "
                     "limits.max_attachments_per_ticket allows",
                     r->cfg->max_attachments_per_ticket);
        else
            snprintf(msg, sizeof(msg),
                     "the ticket's attachments would pass %zu bytes "
                     "(limits.max_attachment_bytes_per_ticket)",
                     r->cfg->max_attachment_bytes_per_ticket);
        http_error(r, E_TICKET_FULL, msg, NULL);
        break;
    }
    default:
        http_error_from(r, uj->job.rc, "attachment upload");
    }
}

static void
upload_done(struct store_job *job)
{
    struct upload_job *uj = (struct upload_job *)job;
    http_resume_to(uj->r, upload_finish);
}

/* The type of the upload, judged by its content against what was declared; -1 after 415. */
static int
type_or_reply(struct req *r)
{
    char msg[200];
    const char *ct = http_header_value(r, "Content-Type");
    if (ct == NULL) {
        http_error(r, E_MEDIA_TYPE, "declare the file's type in Content-Type", NULL);
        return -1;
    }
    int declared = attach_type_declared(ct);
    if (declared < 0) {
        http_error(r, E_MEDIA_TYPE,
                   "not an allowed type: image/png, image/jpeg, application/pdf, text/plain "
                   "(or application/octet-stream, the content deciding)",
                   NULL);
        return -1;
    }
    int found = attach_sniff(r->body, r->body_len);
    if (found < 0) {
        http_error(r, E_MEDIA_TYPE,
                   "the content is none of the allowed types (a PNG or JPEG image, a PDF "
                   "document, plain UTF-8 text)",
                   NULL);
        return -1;
    }
    if (declared != ATTACH_TYPE_COUNT && declared != found) {
        snprintf(msg, sizeof(msg), "declared %s, but the content is %s",
                 attach_types[declared].mime, attach_types[found].what);
        http_error(r, E_MEDIA_TYPE, msg, NULL);
        return -1;
    }
    return found;
}

void
api_attachments_create(struct req *r)
{
    struct store_txn *t;
    struct ticket tk;
    char sha[2 * SEAM_HASH_LEN + 1], at[32];
    const char *name = http_query(r, "name");
    if (name != NULL && !attach_filename_valid(name)) {
        http_error(r, E_BAD_PARAMETER,
                   "a file name is 1 to 128 bytes of UTF-8 text without control characters, "
                   "/, \\ or \"",
                   "name");
        return;
    }
    if (r->body_len == 0) {
        http_error(r, E_INVALID_FIELD, "the body is the file, and it is empty", NULL);
        return;
    }
    int type = type_or_reply(r);
    if (type < 0)
        return;
    enum seam_err rc = store_read_begin(r->srv->store, &t);
    if (rc != SEAM_OK) {
        http_error_from(r, rc, "read");
        return;
    }
    int found = ticket_or_reply(r, t, &tk) == 0;
    store_read_end(t);
    if (!found)
        return;
    int open = ticket_is_open(&tk) || tk.status == TS_RESOLVED;
    /* A partner adds to a ticket while it holds a live claim on it: one whose claims have all
     * ended (handed back, reassigned, resolved) still reads them, and adds nothing. */
    int holds = r->who.role != ROLE_PARTNER;
    for (size_t i = 0; !holds && i < tk.nassignments; i++)
        holds = strcmp(tk.assignments[i].partner, r->who.subject) == 0 &&
                assignment_is_live(&tk.assignments[i]);
    ticket_free(&tk);
    if (!open) {
        http_error(r, E_CONFLICT, "the ticket is closed; file a new complaint", NULL);
        return;
    }
    if (!holds) {
        http_error(r, E_CONFLICT,
                   "your company holds no live claim on this ticket: it adds nothing to it", NULL);
        return;
    }
    seam_sha256_hex(r->body, r->body_len, sha);
    char *dflt = NULL;
    if (name == NULL)
        name = dflt = xasprintf("attachment-%.12s.%s", sha, attach_types[type].ext);
    format_time_ms(now_ms(), at);
    struct upload_job *uj = xcalloc(1, sizeof(*uj));
    uj->job.apply = upload_apply;
    uj->job.done = upload_done;
    uj->r = r;
    snprintf(uj->tid, sizeof(uj->tid), "%s", http_param(r, 0));
    memcpy(uj->sha, sha, sizeof(sha));
    uj->meta = json_pack("{s:I, s:s, s:s, s:s, s:{s:s, s:s}}", "size", (json_int_t)r->body_len,
                         "type", attach_types[type].mime, "name", name, "at", at, "by", "role",
                         auth_role_name(r->who.role), "id", r->who.subject);
    if (r->who.user[0] != '\0')
        json_object_set_new(json_object_get(uj->meta, "by"), "user", json_string(r->who.user));
    free(dflt);
    http_submit(r, &uj->job, uj, upload_job_free);
}

void
api_attachments_list(struct req *r)
{
    struct store_txn *t;
    struct ticket tk;
    json_t *all = NULL, *m;
    size_t i;
    enum seam_err rc = store_read_begin(r->srv->store, &t);
    if (rc != SEAM_OK) {
        http_error_from(r, rc, "read");
        return;
    }
    if (ticket_or_reply(r, t, &tk) != 0) {
        store_read_end(t);
        return;
    }
    rc = attach_list(t, tk.id, &all);
    store_read_end(t);
    if (rc != SEAM_OK) {
        ticket_free(&tk);
        http_error_from(r, rc, "attachment list");
        return;
    }
    json_t *items = json_array();
    json_array_foreach(all, i, m)
    {
        if (ticket_attachment_visible(&tk, m, &r->who))
            json_array_append_new(
                items, meta_view(&tk, json_string_value(json_object_get(m, "sha256")), m, &r->who));
    }
    json_decref(all);
    ticket_free(&tk);
    http_reply(r, 200, json_pack("{s:o, s:n}", "items", items, "next_cursor"));
}

/*
 * A header's file name: filename="ASCII" (other bytes as "_") and, when the
 * name is not plain ASCII, filename*=UTF-8''percent-encoded (RFC 6266).
 */
static char *
disposition(int inline_ok, const char *name)
{
    static const char hexd[] = "0123456789ABCDEF";
    size_t n = strlen(name);
    char *ascii = xmalloc(n + 1), *enc = xmalloc(3 * n + 1);
    size_t e = 0;
    int plain = 1;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)name[i];
        ascii[i] = c < 0x80 ? (char)c : '_';
        plain &= c < 0x80;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            strchr("!#$&+-.^_`|~", c) != NULL) {
            enc[e++] = (char)c;
        } else {
            enc[e++] = '%';
            enc[e++] = hexd[c >> 4];
            enc[e++] = hexd[c & 15];
        }
    }
    ascii[n] = '\0';
    enc[e] = '\0';
    char *out = plain ? xasprintf("%s; filename=\"%s\"", inline_ok ? "inline" : "attachment", ascii)
                      : xasprintf("%s; filename=\"%s\"; filename*=UTF-8''%s",
                                  inline_ok ? "inline" : "attachment", ascii, enc);
    free(ascii);
    free(enc);
    return out;
}

void
api_attachments_get(struct req *r)
{
    struct store_txn *t;
    struct ticket tk;
    json_t *meta = NULL;
    char *data = NULL;
    size_t len = 0;
    const char *sha = http_param(r, 1);
    enum seam_err rc = store_read_begin(r->srv->store, &t);
    if (rc != SEAM_OK) {
        http_error_from(r, rc, "read");
        return;
    }
    if (ticket_or_reply(r, t, &tk) != 0) {
        store_read_end(t);
        return;
    }
    rc = attach_meta_load(t, tk.id, sha, &meta);
    if (rc == SEAM_OK && !ticket_attachment_visible(&tk, meta, &r->who))
        rc = SEAM_ENOTFOUND; /* not yours: the same as none */
    if (rc == SEAM_OK)
        rc = attach_content(t, tk.id, sha, &data, &len);
    store_read_end(t);
    ticket_free(&tk);
    if (rc == SEAM_ENOTFOUND) {
        json_decref(meta);
        http_error(r, E_NOT_FOUND, "no such attachment", NULL);
        return;
    }
    if (rc != SEAM_OK) {
        if (rc == SEAM_ECORRUPT)
            log_warnx("req=%s attachment=%s: stored bytes fail their hash", r->id, sha);
        json_decref(meta);
        http_error_from(r, rc, "attachment");
        return;
    }
    int type = attach_type_parse(json_string_value(json_object_get(meta, "type")));
    if (type < 0) {
        json_decref(meta);
        free(data);
        http_error_from(r, SEAM_ECORRUPT, "attachment type");
        return;
    }
    const char *name = json_string_value(json_object_get(meta, "name"));
    char *disp = disposition(attach_types[type].image, name ? name : "attachment");
    http_header(r, "Content-Disposition", disp);
    http_header(r, "X-Content-Type-Options", "nosniff");
    http_header(r, "Content-Security-Policy", "default-src 'none'; sandbox");
    free(disp);
    json_decref(meta);
    http_reply_raw(r, 200,
                   type == ATTACH_TEXT ? "text/plain; charset=utf-8" : attach_types[type].mime,
                   data, len);
}
