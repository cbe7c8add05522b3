/* qrcode: libqrencode's module matrix turned into compact SVG. Each horizontal run of dark
 * modules becomes one closed rectangle "M x y h n v1 h -n z" in a single path. */
#include "auth/qrcode.h"

#include <qrencode.h>
#include <string.h>

#include "core/buf.h"

/* Appends the rectangles of the dark runs of one row (bit 0 of each byte = dark). */
static enum err row_path(struct buf *b, const unsigned char *row, int width, int y)
{
    int x = 0;
    while (x < width) {
        if (!(row[x] & 1)) {
            x++;
            continue;
        }
        int start = x;
        while (x < width && (row[x] & 1))
            x++;
        enum err e = buf_printf(b, "M%d %dh%dv1h-%dz", start + QRCODE_QUIET_ZONE,
                                y + QRCODE_QUIET_ZONE, x - start, x - start);
        if (e != E_OK)
            return e;
    }
    return E_OK;
}

static enum err build_svg(struct buf *b, const QRcode *qr)
{
    int size = qr->width + 2 * QRCODE_QUIET_ZONE;
    enum err e = buf_printf(b,
                            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
                            "shape-rendering=\"crispEdges\"><rect width=\"%d\" height=\"%d\" "
                            "fill=\"#fff\"/><path fill=\"#000\" d=\"",
                            size, size, size, size);
    for (int y = 0; e == E_OK && y < qr->width; y++)
        e = row_path(b, qr->data + (size_t)y * (size_t)qr->width, qr->width, y);
    if (e == E_OK)
        e = buf_append_cstr(b, "\"/></svg>");
    return e;
}

enum err qrcode_svg(struct arena *a, const char *text, char **svg, struct errinfo *ei)
{
    struct buf b;
    QRcode *qr = NULL;
    enum err e;
    buf_init(&b, QRCODE_MAX_SVG);
    *svg = NULL;
    size_t n = strlen(text);
    if (n == 0 || n > QRCODE_MAX_TEXT) {
        e = errinfo_set(ei, n ? E_TOOBIG : E_INVALID, "QR code text must have 1 to %d bytes",
                        QRCODE_MAX_TEXT);
        goto out;
    }
    qr = QRcode_encodeString8bit(text, 0, QR_ECLEVEL_M);
    if (!qr) {
        e = errinfo_set(ei, E_NOMEM, "cannot encode the QR code");
        goto out;
    }
    e = build_svg(&b, qr);
    if (e == E_OK) {
        *svg = arena_strndup(a, b.p, b.len);
        e = *svg ? E_OK : E_TOOBIG;
    }
    if (e != E_OK)
        errinfo_set(ei, e, "QR code too large");
out:
    if (qr)
        QRcode_free(qr);
    buf_free(&b);
    return e;
}
