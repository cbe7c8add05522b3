/* eventgen: realistic Python and JavaScript error events for the benchmark (see eventgen.h).
 * The text is assembled with snprintf into a caller buffer; a writer that overflows stops
 * writing and reports length 0, so callers only have to check one result. */
#include "eventgen.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct bw {
    char *p;
    size_t len, cap;
    int full;
};

__attribute__((format(printf, 2, 3))) static void bw_add(struct bw *w, const char *fmt, ...)
{
    if (w->full)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(w->p + w->len, w->cap - w->len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= w->cap - w->len) {
        w->full = 1;
        return;
    }
    w->len += (size_t)n;
}

static size_t bw_done(const struct bw *w)
{
    return w->full ? 0 : w->len;
}

/* ---- Python (Django) ------------------------------------------------------------------ */

static const char *const py_types[] = {"KeyError", "ValueError", "TypeError", "AttributeError",
                                       "IntegrityError"};

static void py_lib_frame(struct bw *w, const char *file, const char *fn, int line, int ctx)
{
    bw_add(w,
           "{\"filename\":\"django/%s.py\",\"module\":\"django.%s\",\"function\":\"%s\","
           "\"lineno\":%d,%s\"in_app\":false},",
           file, file, fn, line,
           ctx ? "\"context_line\":\"            response = wrapped_callback(request, "
                 "*callback_args, **callback_kwargs)\","
               : "");
}

static void py_app_frame(struct bw *w, unsigned g, int k, int line)
{
    bw_add(w,
           "{\"filename\":\"shop/orders/views_%u.py\",\"abs_path\":\"/srv/shop/shop/orders/"
           "views_%u.py\",\"module\":\"shop.orders.views_%u\",\"function\":\"handle_order_%u_%d\","
           "\"lineno\":%d,\"pre_context\":[\"    order = Order.objects.get(pk=order_id)\","
           "\"    customer = order.customer\"],\"context_line\":\"    total = "
           "compute_total(order.lines, customer.discounts['%s'])\",\"post_context\":["
           "\"    return JsonResponse({'total': total})\",\"\"],\"in_app\":true,\"vars\":{"
           "\"order_id\":\"%u\",\"request\":\"<WSGIRequest: GET '/api/orders/%u/'>\"}}",
           g, g, g, g, k, line, "customer_id", 1000 + g, 1000 + g);
}

static void py_breadcrumbs(struct bw *w, unsigned g, double ts)
{
    bw_add(w, "\"breadcrumbs\":{\"values\":[");
    for (int i = 0; i < 2; i++)
        bw_add(w,
               "{\"timestamp\":%.3f,\"category\":\"query\",\"message\":\"SELECT "
               "\\\"orders_order\\\".\\\"id\\\" FROM \\\"orders_order\\\" WHERE "
               "\\\"orders_order\\\".\\\"id\\\" = %%s LIMIT 21\",\"data\":{\"duration_ms\":%d}},",
               ts - 0.5 + i * 0.01, 2 + i);
    bw_add(w,
           "{\"timestamp\":%.3f,\"type\":\"http\",\"category\":\"httplib\",\"data\":{"
           "\"method\":\"GET\",\"url\":\"https://payments.internal/v1/customers/%u\","
           "\"status_code\":200}}]},",
           ts - 0.1, g);
}

static void py_event(struct bw *w, unsigned g, const char *id, double ts)
{
    bw_add(w,
           "{\"event_id\":\"%s\",\"timestamp\":%.3f,\"platform\":\"python\",\"level\":\"error\","
           "\"logger\":\"django.request\",\"server_name\":\"web-%u\",\"release\":"
           "\"shop@2.4.%u\",\"environment\":\"production\",\"transaction\":"
           "\"/api/orders/{order_id}/\",\"sdk\":{\"name\":\"sentry.python.django\",\"version\":"
           "\"1.40.0\",\"integrations\":[\"django\",\"logging\",\"stdlib\",\"threading\"]},",
           id, ts, g % 8, g % 3);
    bw_add(w,
           "\"exception\":{\"values\":[{\"type\":\"%s\",\"value\":\"'customer_id' missing for "
           "order %u\",\"module\":\"builtins\",\"mechanism\":{\"type\":\"django\",\"handled\":"
           "false},\"stacktrace\":{\"frames\":[",
           py_types[g % 5], 1000 + g);
    py_lib_frame(w, "core/handlers/exception", "inner", 55, 0);
    py_lib_frame(w, "core/handlers/base", "_get_response", 197, 1);
    py_app_frame(w, g, 1, 40 + (int)g % 50);
    bw_add(w, ",");
    py_app_frame(w, g, 2, 90 + (int)g % 50);
    bw_add(w, "]}}]},");
    py_breadcrumbs(w, g, ts);
    bw_add(w,
           "\"contexts\":{\"os\":{\"name\":\"Linux\",\"version\":\"6.1.0-18-amd64\"},"
           "\"runtime\":{\"name\":\"CPython\",\"version\":\"3.11.2\"},\"trace\":{\"trace_id\":"
           "\"4c79f60c11214eb38604f4ae0781bfb2\",\"span_id\":\"fa90fdead5f74052\",\"op\":"
           "\"http.server\"}},\"request\":{\"url\":\"https://shop.example.com/api/orders/%u/\","
           "\"method\":\"GET\",\"query_string\":\"expand=lines\",\"headers\":{\"Accept\":"
           "\"application/json\",\"User-Agent\":\"python-requests/2.31.0\"}},\"user\":{\"id\":"
           "\"%u\",\"ip_address\":\"10.20.%u.%u\"},\"tags\":{\"component\":\"orders\",\"region\":"
           "\"eu-west-1\"},\"extra\":{\"sys.argv\":[\"gunicorn\",\"shop.wsgi\"]}}",
           1000 + g, 500 + g % 37, g % 200, 1 + g % 250);
}

/* ---- JavaScript (browser) ------------------------------------------------------------- */

static const char *const js_types[] = {"TypeError", "ReferenceError", "RangeError", "Error",
                                       "SyntaxError"};

static void js_frame(struct bw *w, unsigned g, int k, int in_app)
{
    if (!in_app) {
        bw_add(w,
               "{\"filename\":\"https://shop.example.com/static/js/vendor.4f1a2b.js\","
               "\"abs_path\":\"https://shop.example.com/static/js/vendor.4f1a2b.js\","
               "\"function\":\"HTMLButtonElement.dispatch\",\"lineno\":2,\"colno\":%d,"
               "\"in_app\":false},",
               40213 + k);
        return;
    }
    bw_add(w,
           "{\"filename\":\"app:///static/js/checkout/cart_%u.js\",\"abs_path\":"
           "\"https://shop.example.com/static/js/checkout/cart_%u.js\",\"function\":"
           "\"CartView.render%u_%d\",\"lineno\":%d,\"colno\":%d,\"pre_context\":[\"  const items "
           "= this.props.cart.items;\",\"  const coupon = this.state.coupon;\"],"
           "\"context_line\":\"  const total = items.reduce((s, i) => s + i.price.amount, 0);\","
           "\"post_context\":[\"  return renderTotal(total, coupon);\",\"}\"],\"in_app\":true}",
           g, g, g, k, 120 + k * 7, 18 + k);
}

static void js_breadcrumbs(struct bw *w, unsigned g, double ts)
{
    bw_add(w,
           "\"breadcrumbs\":{\"values\":[{\"timestamp\":%.3f,\"category\":\"navigation\","
           "\"data\":{\"from\":\"/products/%u\",\"to\":\"/cart\"}},{\"timestamp\":%.3f,"
           "\"category\":\"ui.click\",\"message\":\"button#checkout.btn.btn-primary\"},"
           "{\"timestamp\":%.3f,\"type\":\"http\",\"category\":\"fetch\",\"data\":{\"method\":"
           "\"GET\",\"url\":\"/api/cart?include=items\",\"status_code\":200}},{\"timestamp\":"
           "%.3f,\"category\":\"console\",\"level\":\"warning\",\"message\":\"Deprecated prop "
           "'coupon' passed to CartView\"},{\"timestamp\":%.3f,\"category\":\"ui.click\","
           "\"message\":\"div.cart-line > button.remove\"}]},",
           ts - 9.2, g, ts - 4.1, ts - 3.9, ts - 1.2, ts - 0.2);
}

static void js_event(struct bw *w, unsigned g, const char *id, double ts)
{
    bw_add(w,
           "{\"event_id\":\"%s\",\"timestamp\":%.3f,\"platform\":\"javascript\",\"level\":"
           "\"error\",\"release\":\"shop-web@7.%u.0\",\"environment\":\"production\","
           "\"sdk\":{\"name\":\"sentry.javascript.browser\",\"version\":\"7.99.0\","
           "\"integrations\":[\"InboundFilters\",\"FunctionToString\",\"TryCatch\","
           "\"Breadcrumbs\",\"GlobalHandlers\",\"LinkedErrors\",\"Dedupe\",\"HttpContext\"]},",
           id, ts, g % 4);
    bw_add(w,
           "\"exception\":{\"values\":[{\"type\":\"%s\",\"value\":\"Cannot read properties of "
           "undefined (reading 'amount') in cart %u\",\"mechanism\":{\"type\":"
           "\"onunhandledrejection\",\"handled\":false},\"stacktrace\":{\"frames\":[",
           js_types[(g / 2) % 5], g);
    js_frame(w, g, 0, 0);
    js_frame(w, g, 1, 1);
    bw_add(w, ",");
    js_frame(w, g, 2, 1);
    bw_add(w, "]}}]},");
    js_breadcrumbs(w, g, ts);
    bw_add(w,
           "\"contexts\":{\"browser\":{\"name\":\"Chrome\",\"version\":\"121.0.0\"},\"os\":{"
           "\"name\":\"Windows\",\"version\":\"10\"},\"device\":{\"family\":\"Desktop\"}},"
           "\"request\":{\"url\":\"https://shop.example.com/cart\",\"headers\":{\"User-Agent\":"
           "\"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
           "Chrome/121.0.0.0 Safari/537.36\",\"Referer\":\"https://shop.example.com/products/"
           "%u\"}},\"user\":{\"ip_address\":\"203.0.113.%u\",\"id\":\"web-%u\"},\"tags\":{"
           "\"locale\":\"en-GB\",\"checkout_step\":\"cart\"}}",
           g, 1 + g % 250, g % 97);
}

/* ---- public --------------------------------------------------------------------------- */

size_t eventgen_event(char *out, size_t cap, unsigned g, const char *event_id, double ts)
{
    struct bw w = {out, 0, cap, 0};
    if (g % 2 == 0)
        py_event(&w, g, event_id, ts);
    else
        js_event(&w, g, event_id, ts);
    return bw_done(&w);
}

size_t eventgen_envelope(char *out, size_t cap, unsigned g, const char *event_id, double ts)
{
    struct bw w = {out, 0, cap, 0};
    bw_add(&w,
           "{\"event_id\":\"%s\",\"sdk\":{\"name\":\"%s\",\"version\":\"%s\"}}\n"
           "{\"type\":\"event\",\"content_type\":\"application/json\"}\n",
           event_id, g % 2 ? "sentry.javascript.browser" : "sentry.python.django",
           g % 2 ? "7.99.0" : "1.40.0");
    if (w.full)
        return 0;
    size_t n = eventgen_event(out + w.len, cap - w.len, g, event_id, ts);
    if (n == 0 || w.len + n + 2 > cap)
        return 0;
    w.len += n;
    out[w.len++] = '\n';
    out[w.len] = '\0';
    return w.len;
}
