/*
 * web.c: the broker's web faces as files. The asset build (web/build.mjs)
 * writes the pages (index.html, partner/index.html, lead/index.html) and the
 * assets they load (assets/NAME.HASH.EXT) to one directory; this serves
 * them, read from disk at each request, so a rebuild shows without a
 * restart. It serves nothing else: a page is one of the table below, an
 * asset a plain name under /assets/ with a known extension (no directory,
 * no dot file, no symbolic link). The pages are a client of the API like any
 * other: this module knows no ticket, no user and no session. The answers'
 * security headers (Content-Security-Policy, nosniff) are http.c's.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common.h"
#include "config.h"
#include "log.h"
#include "web.h"

#ifndef SEAM_WEB_DIR
#define SEAM_WEB_DIR "/usr/local/share/seam/web"
#endif

#define WEB_FILE_MAX (8u << 20) /* a page or an asset larger than this is not served */

static const struct page {
    const char *path, *file;
} pages[] = {
    {"/", "index.html"},
    {"/index.html", "index.html"},
    {"/partner/", "partner/index.html"},
    {"/partner", "partner/index.html"},
    {"/lead/", "lead/index.html"},
    {"/lead", "lead/index.html"},
};

static const struct media {
    const char *ext, *type;
} media[] = {
    {".js", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".json", "application/json"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".txt", "text/plain; charset=utf-8"},
    {".woff2", "font/woff2"},
};

static const char not_built[] =
    "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
    "<title>seam: page not built</title></head><body><main>"
    "<h1>This page is not built</h1>"
    "<p>This seam-broker serves its API, but this web page has not been built. "
    "Build them with <code>make</code> (it needs Node.js), or name the directory "
    "that holds them in the configuration's <code>web_dir</code>.</p>"
    "</main></body></html>\n";

const char *
web_dir(const struct config *cfg)
{
    static const char *local = "build/web";
    struct stat st;
    if (cfg->web_dir != NULL)
        return cfg->web_dir;
    if (stat(local, &st) == 0 && S_ISDIR(st.st_mode))
        return local;
    return SEAM_WEB_DIR;
}

/* An asset's name: letters, digits, '.', '_' and '-', not starting with '.'. */
static int
asset_name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 128 || s[0] == '.')
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

static const char *
media_of(const char *name)
{
    const char *dot = strrchr(name, '.');
    if (dot == NULL)
        return NULL;
    for (size_t i = 0; i < sizeof(media) / sizeof(media[0]); i++)
        if (strcmp(dot, media[i].ext) == 0)
            return media[i].type;
    return NULL;
}

/* The whole of DIR/REL, a regular file reached without a symbolic link at its end; NULL if not. */
static char *
web_read_file(const char *dir, const char *rel, size_t *len)
{
    char *path = xasprintf("%s/%s", dir, rel), *buf = NULL;
    struct stat st;
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        if (errno != ENOENT)
            log_warn("web: open %s", path);
        goto out;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (size_t)st.st_size > WEB_FILE_MAX)
        goto out;
    buf = xmalloc((size_t)st.st_size + 1);
    size_t got = 0;
    while (got < (size_t)st.st_size) {
        ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            log_warn("web: read %s", path);
            free(buf);
            buf = NULL;
            goto out;
        }
        got += (size_t)n;
    }
    *len = got;
out:
    if (fd >= 0)
        close(fd);
    free(path);
    return buf;
}

int
web_serve(struct req *r, const char *method, const char *path)
{
    const char *file = NULL, *type = NULL;
    char rel[160];
    size_t len = 0;
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
        return 0;
    for (size_t i = 0; i < sizeof(pages) / sizeof(pages[0]); i++)
        if (strcmp(path, pages[i].path) == 0)
            file = pages[i].file;
    if (file != NULL) {
        type = "text/html; charset=utf-8";
        snprintf(rel, sizeof(rel), "%s", file);
    } else if (strncmp(path, "/assets/", 8) == 0 && asset_name_ok(path + 8)) {
        type = media_of(path + 8);
        if (type == NULL)
            return 0;
        snprintf(rel, sizeof(rel), "assets/%s", path + 8);
    } else {
        return 0;
    }
    char *body = web_read_file(web_dir(r->cfg), rel, &len);
    if (body == NULL && file != NULL) {
        r->page = 1;
        r->cache_control = "no-cache";
        http_reply_raw(r, 503, "text/html; charset=utf-8", xstrdup(not_built),
                       sizeof(not_built) - 1);
        return 1;
    }
    if (body == NULL)
        return 0; /* an unknown asset: the JSON 404 */
    r->page = 1;
    r->cache_control = file != NULL ? "no-cache" : "public, max-age=31536000, immutable";
    http_reply_raw(r, 200, type, body, len);
    return 1;
}
