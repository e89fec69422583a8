/*
 * fuzz_tmf: bodies of the TMF621 face (POST and PATCH of
 * /tmf-api/troubleTicket/v4/troubleTicket), through what the handlers run:
 * the body's parsing, then api_tmf_create_input_or_reply and
 * api_tmf_patch_input_or_reply, as a customer and as the lead. Every refusal
 * is TMF's Error that dumps and parses back (never the 500 of an answer that
 * could not be written); what passes is storable: it dumps, parses back
 * equal and nests far below any parser's limit, also once its notes carry
 * seam's author and date. Each body is also tried as a JSON Patch (RFC
 * 6902, tmf_json_patch), with the same checks of the merge patch it makes.
 *
 * Each body goes through the v5 face too (tmf.h, "TMF621 v5"): tmf5_body
 * refuses it as TMF's Error, or gives the v4 body it amounts to, which the
 * same checks take, with its externalIdentifier kept storable beside.
 *
 * One input in eight (by its first byte) also goes in a second time nested
 * deep: the first byte picks 2,036 to 2,051 levels of arrays or objects
 * around the rest, as the value of relatedEntity, so that the edge of
 * Jansson's depth limit (2,048) and the errors about it are tried with the
 * mutations of every input.
 */
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "fuzz.h"
#include "http.h"
#include "tmf.h"

#define PATH TMF_BASE "/troubleTicket"

static void
as(struct req *r, enum role role, const char *subject)
{
    r->who.role = role;
    snprintf(r->who.subject, sizeof(r->who.subject), "%s", subject);
}

/* The create checks as who, on a parsed body. */
static void
create_as(struct req *r, const json_t *body, enum role role, const char *subject)
{
    struct ticket_input in;
    as(r, role, subject);
    memset(&in, 0, sizeof(in));
    if (api_tmf_create_input_or_reply(r, body, &in) != 0) {
        fuzz_assert_error_reply(r);
    } else {
        FUZZ_ASSERT(!r->replied && in.summary && in.description && in.facts[FACT_SYMPTOM] &&
                    in.tmf);
        FUZZ_ASSERT(strlen(in.summary) <= SUMMARY_MAX && strlen(in.description) <= DESCRIPTION_MAX);
        /* What ticket_create stores: the record's strings and the kept attributes. */
        json_t *facts = json_pack("{s:s, s:s, s:s}", "summary", in.summary, "description",
                                  in.description, "symptom", in.facts[FACT_SYMPTOM]);
        FUZZ_ASSERT(facts != NULL);
        json_decref(facts);
        tmf_notes_stamp(json_object_get(in.tmf, "note"), &r->who, "2026-01-01T00:00:00.000Z");
        fuzz_assert_storable(in.tmf, 2); /* in the record, and in the event's data */
        ticket_input_free(&in);
    }
    fuzz_req_reset(r);
}

/* The create checks (as a customer and as the lead) and the PATCH checks of one body. */
static void
one_body(const uint8_t *data, size_t size)
{
    struct req r;
    fuzz_req_init(&r, PATH, data, size);
    json_t *body = http_body_json_or_reply(&r);
    if (body == NULL) {
        fuzz_assert_error_reply(&r);
        goto out;
    }
    create_as(&r, body, ROLE_CUSTOMER, "c1");
    create_as(&r, body, ROLE_LEAD, "ops");

    json_t *attrs = NULL;
    const char *status = NULL;
    as(&r, ROLE_CUSTOMER, "c1");
    if (api_tmf_patch_input_or_reply(&r, body, &attrs, &status) != 0) {
        fuzz_assert_error_reply(&r);
    } else {
        FUZZ_ASSERT(!r.replied && attrs != NULL);
        tmf_notes_stamp(json_object_get(attrs, "note"), &r.who, "2026-01-01T00:00:00.000Z");
        fuzz_assert_storable(attrs, 2); /* in the record's tmf, and the event's changes */
        json_decref(attrs);
    }
    json_decref(body);
out:
    fuzz_req_free(&r);
}

/* The body as v5's, for create and for PATCH: refused, or the v4 body it
 * amounts to through the checks above, with the external ids kept. */
static void
one_body_v5(const uint8_t *data, size_t size)
{
    struct req r;
    struct tmf_problem p;
    fuzz_req_init(&r, TMF5_BASE "/troubleTicket", data, size);
    json_t *body = http_body_json_or_reply(&r);
    if (body == NULL) {
        fuzz_assert_error_reply(&r);
        goto out;
    }
    for (int patch = 0; patch < 2; patch++) {
        json_t *v4 = NULL, *ext = NULL;
        as(&r, ROLE_CUSTOMER, "c1");
        if (tmf5_body(body, patch, &v4, &ext, &p) != 0) {
            FUZZ_ASSERT(v4 == NULL && ext == NULL);
            http_error(&r, p.code, p.msg, p.field[0] ? p.field : NULL);
            fuzz_assert_error_reply(&r);
            fuzz_req_reset(&r);
            continue;
        }
        FUZZ_ASSERT(v4 != NULL && (ext == NULL || json_is_array(ext) || json_is_null(ext)));
        if (!patch) {
            create_as(&r, v4, ROLE_CUSTOMER, "c1");
        } else {
            json_t *attrs = NULL;
            const char *status = NULL;
            if (api_tmf_patch_input_or_reply(&r, v4, &attrs, &status) != 0) {
                fuzz_assert_error_reply(&r);
            } else {
                tmf5_keep_external(attrs, ext);
                fuzz_assert_storable(attrs, 2);
                json_decref(attrs);
            }
            fuzz_req_reset(&r);
        }
        json_decref(v4);
        json_decref(ext);
    }
    json_decref(body);
out:
    fuzz_req_free(&r);
}

/* The same body as a JSON Patch (RFC 6902): refused as TMF's Error, or the merge patch it
 * amounts to, checked and storable as above. */
static void
one_json_patch(const uint8_t *data, size_t size)
{
    struct req r;
    struct tmf_problem p;
    json_t *merge = NULL, *attrs = NULL;
    const char *status = NULL;
    int append = -1;
    fuzz_req_init(&r, PATH, data, size);
    as(&r, ROLE_CUSTOMER, "c1");
    json_t *ops = http_body_json_array_or_reply(&r);
    if (ops == NULL) {
        fuzz_assert_error_reply(&r);
        goto out;
    }
    if (tmf_json_patch(ops, &merge, &append, &p) != 0) {
        FUZZ_ASSERT(merge == NULL);
        http_error(&r, p.code, p.msg, p.field[0] ? p.field : NULL);
        fuzz_assert_error_reply(&r);
    } else if (api_tmf_patch_input_or_reply(&r, merge, &attrs, &status) != 0) {
        FUZZ_ASSERT(append == 0 || append == 1);
        fuzz_assert_error_reply(&r);
    } else {
        FUZZ_ASSERT(!r.replied && attrs != NULL);
        tmf_notes_stamp(json_object_get(attrs, "note"), &r.who, "2026-01-01T00:00:00.000Z");
        fuzz_assert_storable(attrs, 2);
        json_decref(attrs);
    }
    json_decref(merge);
    json_decref(ops);
out:
    fuzz_req_free(&r);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    one_body(data, size);
    one_body_v5(data, size);
    one_json_patch(data, size);
    if (size == 0 || (data[0] & 0x0e) != 0)
        return 0; /* one input in eight goes in deep too: it costs a hundred shallow ones */
    static const char head[] =
        "{\"description\":\"x\",\"severity\":\"High\",\"ticketType\":\"device\","
        "\"relatedEntity\":";
    int object = data[0] & 1;
    size_t depth = 2036 + (data[0] >> 4), open = object ? 5 : 1, hl = sizeof(head) - 1;
    size_t n = hl + depth * (open + 1) + (size - 1) + 1;
    uint8_t *deep = malloc(n), *p = deep;
    memcpy(p, head, hl);
    p += hl;
    for (size_t i = 0; i < depth; i++, p += open)
        memcpy(p, object ? "{\"k\":" : "[", open);
    memcpy(p, data + 1, size - 1);
    p += size - 1;
    for (size_t i = 0; i < depth; i++)
        *p++ = object ? '}' : ']';
    *p++ = '}';
    one_body(deep, (size_t)(p - deep));
    free(deep);
    return 0;
}
