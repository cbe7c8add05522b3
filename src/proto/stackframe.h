/* proto/stackframe: what grouping, titles and culprits need to know about one stack frame of
 * a normalised event (shared/protocol.md §8.4, §8.7, §8.8): its grouping leaves (module or
 * file name, function, context line — never line numbers), whether it repeats the frame
 * before it, the crash frame of an event, and a frame's culprit string. */
#ifndef SNAG_PROTO_STACKFRAME_H
#define SNAG_PROTO_STACKFRAME_H

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "core/arena.h"

/* The contributing grouping values of one frame, each NULL when it does not contribute.
 * Strings live in the frame or in the arena. */
struct frame_leaves {
    const char *module;
    const char *filename;
    const char *function;
    const char *context_line;
};

/* Fills *out for frame f; platform is the event's (a frame's own platform wins); single
 * tells that f is the only frame of its stack trace. Returns true when any leaf
 * contributes. */
bool proto_frame_leaves(struct arena *a, const cJSON *f, const char *platform, bool single,
                        struct frame_leaves *out);

/* True when f repeats prev (same abs_path, package, module, filename, function, lineno,
 * colno): recursion, which grouping ignores. */
bool proto_frame_same(const cJSON *prev, const cJSON *f);

/* The crash frame: the last in-app frame of the last exception's stack trace (else of the
 * top-level stack trace, else of the only thread), falling back to the last frame. With
 * need_function, frames without a usable function name are skipped. NULL when none. */
const cJSON *proto_crash_frame(const cJSON *event, bool need_function);

/* The function name as titles show it: C/C++ signatures cut to the bare name on native
 * platforms. In the arena (or the frame); NULL when absent. */
const char *proto_frame_function(struct arena *a, const cJSON *f, const char *platform);

/* Sentry's get_frame_culprit(): "module in function", "function(module)" for JavaScript,
 * the function alone for native code; "" when the frame has no location. In the arena. */
const char *proto_frame_culprit(struct arena *a, const cJSON *f, const char *platform);

#endif
