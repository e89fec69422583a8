/*
 * fact.h: the facts of a complaint, as one table. A fact is what a
 * boundary rule matches on: the service, the symptom, the equipment, the
 * customer's region and bundle, the priority. fact_kinds[] (fact.c) has one
 * row per kind of fact, indexed by enum fact, saying everything the code
 * needs to know about it: its name on the wire, where its vocabulary is,
 * who gives it, whether a complaint may leave it out, how TMF621 carries it
 * and where it turns in the coverage check. Nothing else lists the facts:
 * configuration loading (the vocabularies, a rule's match), routing and
 * explain, the coverage check's odometer, the /v1 body fields, seamctl's
 * flags and the TMF621 mapping all walk the table.
 *
 * A federation declares its facts in its configuration ($.facts): the
 * loader builds rows of this same shape from the declaration (config.c's
 * load_facts; the configuration owns them), the facts the code names first
 * at their enum positions, then the others in the order declared, each
 * declared fact's sweep its position in the declaration. A configuration
 * without $.facts runs on fact_kinds[]. Adding a fact of a complaint is a
 * declaration in JSON; a fact the code must name gets its enum fact and its
 * row in fact_kinds[] as well.
 *
 * A loaded configuration carries the table it was loaded with
 * (config->fact_kinds, config->nfact_kinds: the declared rows, fact_kinds[],
 * or the table config_load_buffer_facts was given), and code that has a
 * configuration walks that one. Arrays indexed by fact are FACT_MAX long
 * for that reason; the first FACT_COUNT rows of any table are the facts
 * the code names, so FACT_SERVICE … FACT_PRIORITY name the same facts in
 * every table. The ticket record stores facts under the table's names
 * (record_use_facts, which the broker and seamctl call with their
 * configuration's table).
 *
 * The table is constant; any thread may read it.
 */
#ifndef SEAM_FACT_H
#define SEAM_FACT_H

#include <stddef.h>

/* The facts the code names. A new fact gets its name here and its row in fact_kinds[]. */
enum fact {
    FACT_SERVICE,
    FACT_SYMPTOM,
    FACT_EQUIPMENT,
    FACT_REGION,
    FACT_BUNDLE,
    FACT_PRIORITY,
    FACT_COUNT
};

/* The most rows a table of fact kinds may have: the length of arrays indexed by fact. */
#define FACT_MAX 16

/* Who gives a fact. */
enum fact_source {
    FACT_FROM_COMPLAINT, /* the customer, filing: a /v1 body field, a TMF621 related entity */
    FACT_FROM_CUSTOMER,  /* the customer record (seamctl customer add), never a request;
                          * explain may be given it, or take it from a customer */
    FACT_FROM_PRIORITY,  /* the ticket's priority (low, normal, high, urgent) */
    FACT_FROM_EITHER,    /* the customer record, unless the complaint gives it ("either" in
                          * $.facts: a roaming customer's home country, or where it is now) */
};

/* Where a fact's values come from. */
enum fact_vocab {
    FACT_VOCAB_LIST,       /* the identifiers listed at $.<vocab_key> of the configuration */
    FACT_VOCAB_BUNDLES,    /* the ids of the configuration's bundles */
    FACT_VOCAB_PRIORITIES, /* priority_names[] (config.h) */
    FACT_VOCAB_INLINE,     /* the values listed in the fact's declaration ($.facts[i].values) */
};

struct fact_kind {
    /* The fact's name everywhere: a rule's match key, the /v1 body field,
     * explain's and the ticket record's key, seamctl's --NAME, and how
     * problems and errors name it. */
    const char *name;
    enum fact_vocab vocab;
    const char *vocab_key; /* FACT_VOCAB_LIST: its list's key, required and not empty */
    enum fact_source source;
    int optional;   /* FACT_FROM_COMPLAINT: the customer may leave it out (else it is
                     * required); the coverage check also tries it "not given" */
    size_t max_len; /* the longest value a request body may give */
    /* Its digit in the coverage check's odometer: the lowest turns slowest
     * (equal ranks turn in the table's order). It orders the enumeration,
     * hence which examples the check reports, and nothing else. */
    int sweep;
    const char *const *tmf_roles; /* TMF621 relatedEntity roles that carry it (matched
                                   * without case; NULL-terminated), or NULL */
    int tmf_type;                 /* TMF621's ticketType may name it */
};

/* The facts of a complaint, one row per enum fact. */
extern const struct fact_kind fact_kinds[FACT_COUNT];

/*
 * The names of fact_kinds[], in order: for ticket.c, which reads a
 * record's facts by these names, until filing walks fact_kinds[] (the typed
 * ticket's rewrite removes it). test_fact checks that the two agree.
 */
extern const char *const fact_names[FACT_COUNT];

/* The index of the kind called name in kinds[0..n), or -1. */
int fact_find(const struct fact_kind *kinds, size_t n, const char *name);

/*
 * Fills order[0..n) with the indexes of kinds[0..n) by sweep (equal ranks
 * in the table's order): the coverage check's digits, slowest first, and
 * the order in which the customer record's facts are named. Returns n.
 */
size_t fact_sweep_order(const struct fact_kind *kinds, size_t n, size_t *order);

/* Whether a complaint must give the fact: one the customer files and may not leave out. */
int fact_required(const struct fact_kind *k);
/* Whether a complaint (a /v1 body, a TMF621 ticket, a correction) may give the fact. */
int fact_from_complaint(const struct fact_kind *k);
/* A source's name in $.facts ("complaint", "record", "either", "priority"), and back (-1). */
const char *fact_source_name(enum fact_source s);
int fact_source_parse(const char *s);

/* Whether the customer record gives the fact (or its default, for "either"). */
int fact_from_record(const struct fact_kind *k);

#endif
