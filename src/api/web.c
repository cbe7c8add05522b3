/* web: the UI's static files, embedded in the binary at build time (cmake/web.cmake builds
 * web/ with npm and cmake/embed.cmake turns the output into snag_web_assets), and the
 * single-page-app fallback: any GET the route table does not know, outside /api/,
 * /_health/ and /metrics, answers index.html so the UI's own router can show the page.
 *
 * Vite names built assets assets/<name>-<hash>.<ext>: those are immutable and cached for a
 * year; everything else (index.html first) is revalidated on every load, so a new binary's
 * UI shows at once. Every answer carries a strict Content-Security-Policy: the UI renders
 * event data as text, and the policy is the second line of defence. */
#include <string.h>

#include "api/handlers.h"
#include "core/embedded.h"

extern const struct embedded_file snag_web_assets[];

#define WEB_CSP                                                                                    \
    "default-src 'self'; img-src 'self' data:; style-src 'self'; object-src 'none'; "              \
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
#define WEB_CACHE_IMMUTABLE "public, max-age=31536000, immutable"
#define WEB_NO_BUILD "snag was built without its web UI (SNAG_WEB=OFF); the API is at /api/0/.\n"

static const char *web_content_type(const char *name)
{
    static const char *types[][2] = {
        {".html", "text/html; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".mjs", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".ico", "image/x-icon"},
        {".webp", "image/webp"},
        {".woff2", "font/woff2"},
        {".json", "application/json"},
        {".webmanifest", "application/manifest+json"},
        {".map", "application/json"},
        {".txt", "text/plain; charset=utf-8"},
    };
    const char *dot = strrchr(name, '.');
    for (size_t i = 0; dot && i < sizeof types / sizeof *types; i++)
        if (strcmp(dot, types[i][0]) == 0)
            return types[i][1];
    return "application/octet-stream";
}

static const struct embedded_file *web_find(const char *name)
{
    for (const struct embedded_file *f = snag_web_assets; f->name; f++)
        if (strcmp(f->name, name) == 0)
            return f;
    return NULL;
}

/* Paths that belong to the API, ingest, health or metrics: never the UI. */
static bool web_reserved(const char *path)
{
    static const char *prefixes[] = {"/api/", "/_health", "/metrics"};
    if (strcmp(path, "/api") == 0)
        return true;
    for (size_t i = 0; i < sizeof prefixes / sizeof *prefixes; i++)
        if (strncmp(path, prefixes[i], strlen(prefixes[i])) == 0)
            return true;
    return false;
}

static void web_headers(struct http_request *req, const char *cache)
{
    http_add_header(req, "Content-Security-Policy", WEB_CSP);
    http_add_header(req, "X-Content-Type-Options", "nosniff");
    http_add_header(req, "Referrer-Policy", "same-origin");
    http_add_header(req, "X-Frame-Options", "DENY");
    http_add_header(req, "Cache-Control", cache);
}

static void web_send(struct http_request *req, const struct embedded_file *f)
{
    bool hashed = strncmp(f->name, "assets/", 7) == 0;
    http_respond(req, 200, web_content_type(f->name), f->data, f->size);
    web_headers(req, hashed ? WEB_CACHE_IMMUTABLE : "no-cache");
}

enum handler_result h_web(struct http_request *req, void *app)
{
    (void)app;
    const char *path = http_path(req);
    if (web_reserved(path)) {
        http_respond_detail(req, 404, "not found");
        return HANDLER_DONE;
    }
    while (*path == '/')
        path++;
    const struct embedded_file *f = *path ? web_find(path) : NULL;
    if (f) {
        web_send(req, f);
        return HANDLER_DONE;
    }
    /* A missing build asset is a 404, not the app: a stale page must not run HTML as JS. */
    if (strncmp(path, "assets/", 7) == 0) {
        http_respond(req, 404, "text/plain; charset=utf-8", "not found\n", 10);
        web_headers(req, "no-cache");
        return HANDLER_DONE;
    }
    f = web_find("index.html");
    if (f) {
        web_send(req, f);
        return HANDLER_DONE;
    }
    http_respond(req, 404, "text/plain; charset=utf-8", WEB_NO_BUILD, strlen(WEB_NO_BUILD));
    web_headers(req, "no-cache");
    return HANDLER_DONE;
}
