/*
 * fuzz_route: the rule matcher on the example federation. The input is the
 * complaint's facts, one per line (service, symptom, equipment, region,
 * bundle, priority; an empty line is an absent fact). Every complaint gets
 * an owner: a partner or the lead, never nobody.
 */
#include <string.h>

#include "fuzz.h"
#include "route.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const struct config *cfg = fuzz_config();
    char *text = malloc(size + 1), *p = text;
    struct route_facts f;
    memcpy(text, data, size);
    text[size] = '\0';
    memset(&f, 0, sizeof(f));
    for (int i = 0; i < FACT_COUNT && p != NULL; i++) {
        char *nl = strchr(p, '\n');
        if (nl)
            *nl = '\0';
        f.v[i] = *p ? p : NULL;
        p = nl ? nl + 1 : NULL;
    }
    struct route_result res;
    json_t *explain = json_array();
    route_decide(cfg, &f, &res, explain);
    FUZZ_ASSERT(res.nowners >= 1 && res.nowners <= ROUTE_MAX_OWNERS);
    for (size_t i = 0; i < res.nowners; i++)
        FUZZ_ASSERT(res.owners[i].partner != NULL);
    FUZZ_ASSERT(res.nfallback <= ROUTE_MAX_OWNERS);
    json_decref(explain);
    json_decref(route_explain(cfg, &f));
    if (f.v[FACT_BUNDLE] && f.v[FACT_REGION])
        (void)route_possible_owner(cfg, &f, "nordtel");
    free(text);
    return 0;
}
