/* feedback: what users of an application say about an error, as SDKs send it inside
 * envelopes — the `user_report` item (Sentry's legacy user feedback: event_id, name, email,
 * comments) and the `feedback` item (an event whose contexts.feedback holds message,
 * contact_email, name and associated_event_id). Both become the project's user report for
 * the event they are about, the same record POST …/user-feedback/ writes. */
#ifndef SNAG_API_FEEDBACK_H
#define SNAG_API_FEEDBACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/err.h"
#include "store/store.h"

#define FEEDBACK_NAME_CHARS 128
#define FEEDBACK_EMAIL_CHARS 254
#define FEEDBACK_COMMENTS_CHARS 4096

/* A user report decoded from an item: fields sanitised to UTF-8 and cut to the limits above,
 * event_id as 32 lowercase hex digits. */
struct feedback {
    char event_id[33];
    const char *name, *email, *comments;
};

/* Decodes the payload of a `user_report` item (is_feedback_item false) or of a `feedback`
 * item (true; fallback_event_id, the envelope header's event id or NULL, names the report
 * when the feedback is not about another event). E_PARSE for a payload that is not a JSON
 * object, E_INVALID when it lacks an event id or any comment. Allocates from a. */
enum err feedback_decode(struct arena *a, const char *payload, size_t len, bool is_feedback_item,
                         const char *fallback_event_id, struct feedback *out) WUR;

/* Decodes and stores the report for project_id (the store links it to the event's issue). */
enum err feedback_save(struct store *st, struct arena *a, int64_t project_id, const char *payload,
                       size_t len, bool is_feedback_item, const char *fallback_event_id) WUR;

#endif
