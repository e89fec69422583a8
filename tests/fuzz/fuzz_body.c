/*
 * fuzz_body: request bodies of the /v1 face as the broker parses them. The
 * input is a body sent with Content-Type application/json to POST
 * /v1/tickets; it goes through the same parsing and field checks as that
 * handler. Every refusal is an error answer that dumps and parses back (a
 * 400, never the 500 of an answer that could not be written); what passes
 * the checks is storable. The TMF621 face's bodies are fuzz_tmf's.
 */
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "fuzz.h"
#include "http.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct req r;
    fuzz_req_init(&r, "/v1/tickets", data, size);
    json_t *body = http_body_json_or_reply(&r);
    if (body == NULL) {
        FUZZ_ASSERT(r.status == 400);
        fuzz_assert_error_reply(&r);
        goto out;
    }
    struct body_field fields[API_TICKET_FIELDS_MAX];
    api_ticket_fields(fuzz_config(), fields);
    if (http_fields_or_reply(&r, body, fields) != 0)
        fuzz_assert_error_reply(&r);
    else
        fuzz_assert_storable(body, 1);
    json_decref(body);
out:
    fuzz_req_free(&r);
    return 0;
}
