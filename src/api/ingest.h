/* ingest: the Sentry ingest endpoints — POST /api/{project_id}/store/ and
 * /api/{project_id}/envelope/. Authenticate the key, decompress within limits, split the
 * envelope, normalise and group the event on the request thread, then hand it to the writer
 * and answer {"id": …} only once it is committed. */
#ifndef SNAG_API_INGEST_H
#define SNAG_API_INGEST_H

#include "http/http.h"

enum handler_result ingest_store(struct http_request *req, void *app);
enum handler_result ingest_envelope(struct http_request *req, void *app);

#endif
