/*
 * fuzz_body: request bodies as the broker parses them. The input is a body
 * sent with Content-Type application/json; it goes through the same
 * parsing and field checks as POST /v1/tickets, then TMF621's create and
 * PATCH mappings. Every outcome must be an answer or a structured error.
 */
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "fuzz.h"
#include "http.h"
#include "tmf.h"

static void
reset(struct req *r)
{
    free(r->reply);
    r->reply = NULL;
    r->replied = 0;
    r->status = 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const struct config *cfg = fuzz_config();
    static struct server srv; /* what the body parse reads of it: the limits */
    struct req r;
    srv.cfg = cfg;
    memset(&r, 0, sizeof(r));
    r.srv = &srv;
    r.path = "/v1/tickets";
    r.body = malloc(size + 1);
    memcpy(r.body, data, size);
    r.body[size] = '\0';
    r.body_len = size;
    r.body_json = 1;

    json_t *body = http_body_json_or_reply(&r);
    if (body == NULL) {
        FUZZ_ASSERT(r.replied && r.status == 400);
        goto out;
    }
    if (http_fields_or_reply(&r, body, api_ticket_fields) != 0)
        FUZZ_ASSERT(r.replied && r.status == 400 && strstr(r.reply, "\"error\"") != NULL);
    reset(&r);

    struct ticket_input in;
    json_t *attrs = NULL;
    const char *field = NULL, *msg = NULL, *status = NULL;
    memset(&in, 0, sizeof(in));
    if (tmf_input(cfg, body, &in, &attrs, &field, &msg) != 0)
        FUZZ_ASSERT(msg != NULL);
    else
        FUZZ_ASSERT(in.summary != NULL && in.symptom != NULL);
    ticket_input_free(&in);
    json_decref(attrs);
    attrs = NULL;
    msg = NULL;
    if (tmf_patch(body, &attrs, &status, &field, &msg) != 0)
        FUZZ_ASSERT(msg != NULL);
    json_decref(attrs);
    json_decref(body);
out:
    reset(&r);
    free(r.body);
    return 0;
}
