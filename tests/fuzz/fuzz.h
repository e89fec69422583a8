/*
 * fuzz.h: shared by the libFuzzer targets in tests/fuzz. The example
 * federation (conf/seam.json, or $SEAM_FUZZ_CONF) is loaded once.
 */
#ifndef SEAM_FUZZ_H
#define SEAM_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "config.h"
#include "log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A broken promise is a crash the fuzzer reports with its input. */
#define FUZZ_ASSERT(c)                                                                             \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #c);                                \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static inline const struct config *
fuzz_config(void)
{
    static struct config *cfg;
    if (cfg == NULL) {
        const char *path = getenv("SEAM_FUZZ_CONF");
        char *errors = NULL;
        if (config_load(path ? path : "conf/seam.json", &cfg, &errors) != SEAM_OK) {
            fprintf(stderr, "fuzz: cannot load the federation:\n%s", errors ? errors : "");
            abort();
        }
    }
    return cfg;
}

#endif
