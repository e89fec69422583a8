/*
 * fuzz_config: the configuration loader. Any text is either a federation
 * or a list of problems, each naming where it is; never a crash or a leak.
 */
#include <string.h>

#include "fuzz.h"
#include "route.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct config *cfg = NULL;
    char *errors = NULL;
    enum seam_err rc = config_load_buffer("fuzz.json", (const char *)data, size, &cfg, &errors);
    if (rc == SEAM_OK) {
        FUZZ_ASSERT(cfg != NULL);
        int fatal = 0;
        json_decref(route_check(cfg, &fatal)); /* what the broker runs on every loaded config */
        config_free(cfg);
    } else {
        FUZZ_ASSERT(errors != NULL && strstr(errors, "fuzz.json") != NULL);
    }
    free(errors);
    return 0;
}
