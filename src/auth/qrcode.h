/* qrcode: renders a short text (a TOTP otpauth:// URI) as a QR code in SVG, for the 2FA
 * enrolment page. Byte mode, error correction level M, the smallest version that fits. */
#ifndef SNAG_AUTH_QRCODE_H
#define SNAG_AUTH_QRCODE_H

#include "core/arena.h"
#include "core/err.h"

#define QRCODE_MAX_TEXT 1024 /* bytes of text; more is E_TOOBIG */
#define QRCODE_QUIET_ZONE 4  /* light modules around the symbol, as the standard asks */
#define QRCODE_MAX_SVG (1024 * 1024)

/* Writes into *svg (allocated from a, NUL-terminated) a self-contained SVG document: a
 * viewBox of (width + 2 * QRCODE_QUIET_ZONE) units square, one unit per module, a white
 * background <rect> and a single black <path> of the dark modules; no width/height, so it
 * scales to its container, and no external references. text must not be empty. Returns
 * E_OK, E_INVALID (empty text), E_TOOBIG (text too long, arena over budget) or E_NOMEM. */
enum err qrcode_svg(struct arena *a, const char *text, char **svg, struct errinfo *ei) WUR;

#endif
