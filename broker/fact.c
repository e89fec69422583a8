/*
 * fact.c: the table of the facts of a complaint (fact.h), and lookups in
 * it. It holds no state and reads no configuration; the configuration
 * loader fills each fact's vocabulary from the row's vocab and vocab_key.
 */
#include <string.h>

#include "fact.h"

static const char *const service_roles[] = {"service", NULL};
static const char *const symptom_roles[] = {"symptom", NULL};
static const char *const equipment_roles[] = {"equipment", "device", "resource", NULL};

const struct fact_kind fact_kinds[FACT_COUNT] = {
    /* name, vocabulary (its key), source, optional, max_len, sweep, TMF621 roles, ticketType */
    [FACT_SERVICE] = {"service", FACT_VOCAB_LIST, "services", FACT_FROM_COMPLAINT, 1, 64, 2,
                      service_roles, 1},
    [FACT_SYMPTOM] = {"symptom", FACT_VOCAB_LIST, "symptoms", FACT_FROM_COMPLAINT, 0, 64, 3,
                      symptom_roles, 1},
    [FACT_EQUIPMENT] = {"equipment", FACT_VOCAB_LIST, "equipment", FACT_FROM_COMPLAINT, 1, 64, 4,
                        equipment_roles, 0},
    [FACT_REGION] = {"region", FACT_VOCAB_LIST, "regions", FACT_FROM_CUSTOMER, 0, 64, 1, NULL, 0},
    [FACT_BUNDLE] = {"bundle", FACT_VOCAB_BUNDLES, NULL, FACT_FROM_CUSTOMER, 0, 64, 0, NULL, 0},
    [FACT_PRIORITY] = {"priority", FACT_VOCAB_PRIORITIES, NULL, FACT_FROM_PRIORITY, 0, 16, 5, NULL,
                       0},
};

const char *const fact_names[FACT_COUNT] = {"service", "symptom", "equipment",
                                            "region",  "bundle",  "priority"};

int
fact_find(const struct fact_kind *kinds, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(kinds[i].name, name) == 0)
            return (int)i;
    return -1;
}

size_t
fact_sweep_order(const struct fact_kind *kinds, size_t n, size_t *order)
{
    for (size_t k = 0; k < n; k++) { /* insertion sort: a handful of rows, stable */
        size_t at = k;
        while (at > 0 && kinds[order[at - 1]].sweep > kinds[k].sweep) {
            order[at] = order[at - 1];
            at--;
        }
        order[at] = k;
    }
    return n;
}

int
fact_required(const struct fact_kind *k)
{
    return k->source == FACT_FROM_COMPLAINT && !k->optional;
}

int
fact_from_complaint(const struct fact_kind *k)
{
    return k->source == FACT_FROM_COMPLAINT || k->source == FACT_FROM_EITHER;
}

int
fact_from_record(const struct fact_kind *k)
{
    return k->source == FACT_FROM_CUSTOMER || k->source == FACT_FROM_EITHER;
}

static const char *const source_names[] = {
    [FACT_FROM_COMPLAINT] = "complaint",
    [FACT_FROM_CUSTOMER] = "record",
    [FACT_FROM_PRIORITY] = "priority",
    [FACT_FROM_EITHER] = "either",
};

const char *
fact_source_name(enum fact_source s)
{
    return (size_t)s < sizeof(source_names) / sizeof(source_names[0]) ? source_names[s]
                                                                      : "complaint";
}

int
fact_source_parse(const char *s)
{
    for (size_t i = 0; i < sizeof(source_names) / sizeof(source_names[0]); i++)
        if (source_names[i] != NULL && strcmp(s, source_names[i]) == 0)
            return (int)i;
    return -1;
}
