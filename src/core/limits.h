/* limits: every size and count limit in one place, named. Values follow Relay's defaults
 * (see shared/protocol.md §5) unless said otherwise. */
#ifndef SNAG_CORE_LIMITS_H
#define SNAG_CORE_LIMITS_H

#define KIB ((size_t)1024)
#define MIB (1024 * KIB)

/* HTTP request bodies as they arrive (before decompression). */
#define LIMIT_INGEST_BODY_COMPRESSED (20 * MIB)
/* Whole envelope after decompression (GLITCHTIP_MAX_UNZIPPED_PAYLOAD_SIZE overrides). */
#define LIMIT_ENVELOPE_DECOMPRESSED (100 * MIB)
/* One event (store body, or an event/transaction/feedback item). */
#define LIMIT_EVENT_SIZE (1 * MIB)
/* One attachment item and all attachments in one envelope. */
#define LIMIT_ATTACHMENT_SIZE (100 * MIB)
#define LIMIT_CHECKIN_SIZE (100 * KIB)
#define LIMIT_CLIENT_REPORT_SIZE (4 * KIB)
#define LIMIT_SESSION_ITEMS 100
/* Items in one envelope, whatever their type (a count nobody real comes near). */
#define LIMIT_ENVELOPE_ITEMS 1000
/* JSON bodies of the management API. */
#define LIMIT_API_BODY (1 * MIB)
/* Nesting depth accepted in any JSON document from outside. */
#define LIMIT_JSON_DEPTH 64

/* Field lengths, in characters (Relay normalisation). */
#define LIMIT_MESSAGE_CHARS 8192
#define LIMIT_TAG_KEY_CHARS 200
#define LIMIT_TAG_VALUE_CHARS 200
#define LIMIT_ENVIRONMENT_CHARS 64
#define LIMIT_DIST_CHARS 64
#define LIMIT_LOGGER_CHARS 64
#define LIMIT_CULPRIT_CHARS 200
#define LIMIT_TRANSACTION_CHARS 200
#define LIMIT_RELEASE_CHARS 200
#define LIMIT_SYMBOL_CHARS 256
#define LIMIT_PATH_CHARS 256
#define LIMIT_SUMMARY_CHARS 1024
#define LIMIT_TITLE_CHARS 100
#define LIMIT_BREADCRUMBS 200
#define LIMIT_FRAMES 250
#define LIMIT_EXCEPTIONS 25
/* Counts that keep hostile events from making normalisation quadratic. */
#define LIMIT_TAGS 512
#define LIMIT_FINGERPRINT_ENTRIES 64
#define LIMIT_MESSAGE_PLACEHOLDERS 256

/* Timestamps: more than this in the future / past get replaced (protocol.md §7.4). */
#define LIMIT_FUTURE_SECS 60.0
#define LIMIT_PAST_SECS (30.0 * 86400.0)
#define CLOCK_DRIFT_MIN_SECS (55.0 * 60.0)

/* Per-request arena budget for ingest (decompressed body + parse trees live elsewhere). */
#define ARENA_REQUEST_BUDGET (64 * MIB)

#endif
