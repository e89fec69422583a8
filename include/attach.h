/*
 * attach.h: the files attached to a ticket (photos, modem logs): their
 * bytes and what is known of them, each named by its SHA-256 within its
 * ticket.
 *
 * An upload is stored whole, in the writer's transaction, before it is
 * answered: its bytes in DB_ATTACHMENTS and its description in
 * DB_ATTACH_META (size, checked type, name, when and by whom, and the
 * events that refer to it: "refs"), both under the key ticket id || the
 * 32 bytes of its SHA-256. Its type is judged by its content, never by its
 * name or the type the client declared (attach_sniff). Who may read it is
 * the ticket module's to judge (ticket_attachment_visible), from the
 * uploader and the events that refer to it. Nothing here knows HTTP.
 */
#ifndef SEAM_ATTACH_H
#define SEAM_ATTACH_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "common.h"
#include "store.h"

/* The types an attachment may have, each recognised by its content. */
enum attach_type {
    ATTACH_PNG,
    ATTACH_JPEG,
    ATTACH_PDF,
    ATTACH_TEXT, /* plain UTF-8 text: no NUL, no control but tab, line feed, carriage return */
    ATTACH_TYPE_COUNT
};

struct attach_type_row {
    const char *mime;   /* the type it is served with */
    const char *what;   /* in a refusal: "a PNG image" */
    const char *ext;    /* a default name's extension */
    unsigned image : 1; /* may be shown inline (an image of a checked type) */
};
extern const struct attach_type_row attach_types[ATTACH_TYPE_COUNT];

/* The type data is, by its content (magic bytes; UTF-8 text), or -1: none allowed. */
int attach_sniff(const void *data, size_t len);
/*
 * The type a Content-Type names (its parameters ignored, any case): one of
 * attach_types, ATTACH_TYPE_COUNT for application/octet-stream (no claim:
 * the content decides), or -1 for any other.
 */
int attach_type_declared(const char *content_type);
/* The type of a mime name as attach_types spell it, or -1. */
int attach_type_parse(const char *mime);

/* Whether s is a SHA-256 as attachments are named: 64 lower-case hex digits. */
int attach_name_valid(const char *s);
/* Whether s may be an attachment's file name: 1-128 bytes of UTF-8, no control, no / \ " */
int attach_filename_valid(const char *s);

/*
 * Stores an upload in the writer's transaction t: data (len bytes, whose
 * lower-case hex SHA-256 is sha) for ticket tid, with meta (an object:
 * size, type, name, at, by; "refs" is added empty). The same bytes stored
 * already: SEAM_EEXIST, nothing written, *out the stored description. A
 * ticket that would then hold more than max_count attachments or
 * max_bytes of them: SEAM_ELIMIT (*over: "count" or "bytes"). SEAM_OK: *out
 * the description stored. *out is a new reference.
 */
enum seam_err attach_put(struct store_txn *t, const char *tid, const char *sha, const void *data,
                         size_t len, const json_t *meta, unsigned max_count, size_t max_bytes,
                         const char **over, json_t **out) SEAM_WUR;

/* The description of attachment sha of ticket tid (new reference); SEAM_ENOTFOUND. */
enum seam_err attach_meta_load(struct store_txn *t, const char *tid, const char *sha,
                               json_t **out) SEAM_WUR;

/* A copy of its bytes (malloc'd, *len) if they still hash to sha; else SEAM_ECORRUPT. */
enum seam_err attach_content(struct store_txn *t, const char *tid, const char *sha, char **out,
                             size_t *len) SEAM_WUR;

/*
 * Records that event seq of ticket tid, written by the actor (role, id),
 * refers to attachment sha (any transaction that writes, staged too: gets
 * and puts only). SEAM_ENOTFOUND if the ticket has no such attachment.
 */
enum seam_err attach_refer(struct store_txn *t, const char *tid, const char *sha, uint32_t seq,
                           const char *role, const char *id) SEAM_WUR;

/* The descriptions of a ticket's attachments, each with its "sha256", in name order. */
enum seam_err attach_list(struct store_txn *t, const char *tid, json_t **out) SEAM_WUR;

/*
 * seamctl verify: every attachment's bytes hash to its name and match its
 * description's size, every description has its bytes and every bytes a
 * description. problem(ctx, text) for each difference; *count the
 * attachments seen. SEAM_ECORRUPT if any problem, else the store's error.
 */
enum seam_err attach_verify(struct store_txn *t, void (*problem)(void *ctx, const char *text),
                            void *ctx, uint64_t *count) SEAM_WUR;

#endif
