/*
 * fuzz_tmf_filter: the query of the TMF621 list (GET
 * /tmf-api/troubleTicket/v4/troubleTicket), as tmf_filter_add takes it one
 * argument at a time: the input is split at '&' into arguments and each at
 * its first '=' into name and value (no '=': no value, as a client may
 * send). A refusal is E_BAD_PARAMETER naming the argument, at most 64 bytes
 * of it cut between characters, and leaves the filter as it was; what is
 * taken stays within the bounds (clauses, values); the filter then judges a
 * ticket with and without kept TMF attributes, and its plain fields say
 * nothing the predicate does not.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "tmf.h"

static int
utf8_valid(const char *s)
{
    json_t *j = json_string(s); /* Jansson takes only valid UTF-8 */
    json_decref(j);
    return j != NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *q = malloc(size + 1);
    memcpy(q, data, size);
    q[size] = '\0'; /* MHD hands over NUL-terminated names and values */
    struct tmf_filter *f = calloc(1, sizeof(*f));
    FUZZ_ASSERT(f != NULL);
    char *save = NULL;
    for (char *a = strtok_r(q, "&", &save); a; a = strtok_r(NULL, "&", &save)) {
        char *v = strchr(a, '=');
        if (v != NULL)
            *v++ = '\0';
        size_t n = f->n, nv = n > 0 ? f->c[n - 1].nvalues : 0;
        struct tmf_problem p;
        memset(&p, 0, sizeof(p));
        if (tmf_filter_add(f, a, v, &p) != 0) {
            FUZZ_ASSERT(p.code == E_BAD_PARAMETER && p.msg[0] != '\0');
            FUZZ_ASSERT(strlen(p.field) <= 64 && strncmp(p.field, a, strlen(p.field)) == 0);
            FUZZ_ASSERT(!utf8_valid(a) || utf8_valid(p.field));
            FUZZ_ASSERT(f->n == n && (n == 0 || f->c[n - 1].nvalues == nv));
        } else {
            FUZZ_ASSERT(f->n >= n && f->n <= TMF_CLAUSES_MAX);
        }
        for (size_t i = 0; i < f->n; i++)
            FUZZ_ASSERT(f->c[i].nvalues >= 1 && f->c[i].nvalues <= TMF_VALUES_MAX);
    }
    struct timeline_entry tl[2] = {{.at = 1772438400250, .status = TS_ACKNOWLEDGED},
                                   {.at = 1772442000250, .status = TS_RESOLVED}};
    struct ticket tk;
    memset(&tk, 0, sizeof(tk));
    strcpy(tk.id, "T0000000000000001");
    tk.customer = "c1";
    tk.status = TS_RESOLVED;
    tk.priority = PRIO_HIGH;
    tk.summary = "Fibre down";
    tk.created_at = tl[0].at;
    tk.updated_at = tl[1].at;
    tk.timeline = tl;
    tk.ntimeline = 2;
    struct ticket_filter plain;
    tmf_filter_plain(f, &plain);
    FUZZ_ASSERT(plain.match == tmf_filter_match && plain.match_arg == f);
    for (int kept = 0; kept < 2; kept++) {
        tk.tmf = kept ? "{\"severity\":\"Major\",\"externalId\":\"X\",\"requestedResolutionDate\":"
                        "\"2026-03-03T00:00:00+02:00\"}"
                      : NULL;
        if (!tmf_filter_match(f, &tk))
            continue;
        /* What the predicate keeps, the plain fields keep too. */
        FUZZ_ASSERT(plain.status == NULL || strcmp(plain.status, "resolved") == 0);
        FUZZ_ASSERT(plain.from_ms == 0 || tk.created_at >= plain.from_ms);
        FUZZ_ASSERT(plain.to_ms == 0 || tk.created_at < plain.to_ms);
    }
    tmf_filter_free(f);
    FUZZ_ASSERT(f->n == 0);
    free(f);
    free(q);
    return 0;
}
