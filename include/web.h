/*
 * web.h: the pages and their assets, served by the broker from a directory
 * (the output of the asset build, web/build.mjs).
 */
#ifndef SEAM_WEB_H
#define SEAM_WEB_H

#include "http.h"

/*
 * The directory the pages are served from: $.web_dir when the configuration
 * names one; else build/web when the working directory has it (make run in
 * the source tree); else the installed one, SEAM_WEB_DIR. Borrowed.
 */
const char *web_dir(const struct config *cfg);

/*
 * For a GET or HEAD of a path no endpoint serves: answers a page ("/",
 * "/partner/", "/lead/": no-cache) or an asset ("/assets/NAME", whose name
 * carries its content hash: cached for a year, immutable), and returns 1.
 * A page whose file is missing answers a small page saying the pages are not
 * built (503). Anything else: 0, nothing answered.
 */
int web_serve(struct req *r, const char *method, const char *path);

#endif
