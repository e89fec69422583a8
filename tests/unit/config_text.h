/*
 * config_text.h: a unit test's federation from a template. config_from
 * fills fmt's %s with the arguments and loads the text as a configuration:
 * NULL when it is refused, with the loader's problems in *errors (if
 * errors is NULL they are printed on stderr and freed).
 */
#ifndef SEAM_TEST_CONFIG_TEXT_H
#define SEAM_TEST_CONFIG_TEXT_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

static inline struct config *config_from(char **errors, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static inline struct config *
config_from(char **errors, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    char *text = malloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(text, (size_t)n + 1, fmt, ap);
    va_end(ap);
    struct config *cfg = NULL;
    char *err = NULL;
    enum seam_err rc = config_load_buffer("test.json", text, strlen(text), &cfg, &err);
    free(text);
    if (errors != NULL) {
        *errors = err;
    } else {
        if (err != NULL)
            fprintf(stderr, "%s", err);
        free(err);
    }
    if (rc != SEAM_OK) {
        config_free(cfg);
        return NULL;
    }
    return cfg;
}

#endif
