/* feedback: user_report and feedback envelope items into user reports (see feedback.h). */
#include "api/feedback.h"

#include <string.h>

#include "core/ids.h"
#include "core/jsonx.h"
#include "core/utf8.h"

/* The string at key of obj, as sanitised UTF-8 of at most max_chars characters; NULL when
 * absent or not a string. */
static const char *feedback_text(struct arena *a, const cJSON *obj, const char *key,
                                 size_t max_chars)
{
    const char *s = jsonx_str(obj, key);
    if (!s)
        return NULL;
    char *t = utf8_sanitize(a, s, strlen(s));
    if (t)
        utf8_truncate(t, max_chars);
    return t;
}

static bool feedback_id(const char *id, char out[33])
{
    return id && ids_normalize_uuid(id, strlen(id), out);
}

/* {"event_id", "name", "email", "comments"} */
static enum err feedback_from_report(struct arena *a, const cJSON *o, struct feedback *out)
{
    if (!feedback_id(jsonx_str(o, "event_id"), out->event_id))
        return E_INVALID;
    out->name = feedback_text(a, o, "name", FEEDBACK_NAME_CHARS);
    out->email = feedback_text(a, o, "email", FEEDBACK_EMAIL_CHARS);
    out->comments = feedback_text(a, o, "comments", FEEDBACK_COMMENTS_CHARS);
    return E_OK;
}

/* An event with contexts.feedback {message, contact_email, name, associated_event_id}. */
static enum err feedback_from_event(struct arena *a, const cJSON *o, const char *fallback_id,
                                    struct feedback *out)
{
    const cJSON *fb = jsonx_obj(jsonx_obj(o, "contexts"), "feedback");
    if (!fb)
        return E_INVALID;
    if (!feedback_id(jsonx_str(fb, "associated_event_id"), out->event_id) &&
        !feedback_id(jsonx_str(o, "event_id"), out->event_id) &&
        !feedback_id(fallback_id, out->event_id))
        return E_INVALID;
    out->name = feedback_text(a, fb, "name", FEEDBACK_NAME_CHARS);
    out->email = feedback_text(a, fb, "contact_email", FEEDBACK_EMAIL_CHARS);
    out->comments = feedback_text(a, fb, "message", FEEDBACK_COMMENTS_CHARS);
    return E_OK;
}

enum err feedback_decode(struct arena *a, const char *payload, size_t len, bool is_feedback_item,
                         const char *fallback_event_id, struct feedback *out)
{
    memset(out, 0, sizeof *out);
    cJSON *o;
    enum err e = jsonx_parse(a, payload, len, &o, NULL);
    if (e)
        return e;
    if (!cJSON_IsObject(o))
        return E_PARSE;
    e = is_feedback_item ? feedback_from_event(a, o, fallback_event_id, out)
                         : feedback_from_report(a, o, out);
    if (!e && (!out->comments || !*out->comments))
        e = E_INVALID;
    return e;
}

enum err feedback_save(struct store *st, struct arena *a, int64_t project_id, const char *payload,
                       size_t len, bool is_feedback_item, const char *fallback_event_id)
{
    struct feedback fb;
    enum err e = feedback_decode(a, payload, len, is_feedback_item, fallback_event_id, &fb);
    if (e)
        return e;
    struct store_user_report saved;
    return store_user_report_save(st, project_id, fb.event_id, fb.name, fb.email, fb.comments, a,
                                  &saved);
}
