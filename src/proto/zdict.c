/* proto/zdict: training and digesting zstd dictionaries (zdict.h).
 *
 * DESIGN: training is zstd's own, in two library calls. ZDICT_trainFromBuffer picks the
 * dictionary's content from the samples (and gives it a random ID); ZDICT_finalizeDictionary
 * then writes the header again around that content with the ID the caller chose and entropy
 * statistics for the level the bodies are compressed at (the trainer's are for level 3). The
 * caller chooses the ID because it must be unique among the dictionaries of every node
 * sharing a database: on a collision it retrains with another ID. */
#include "proto/zdict.h"

#include <stdlib.h>
#include <string.h>
#include <zdict.h>

#define ZDICT_CAP_MIN 1024

enum err proto_zdict_train(const void *samples, const size_t *sizes, size_t n, size_t cap,
                           int level, uint32_t dict_id, struct buf *out, struct errinfo *ei)
{
    if (!samples || !sizes || !out || n == 0 || n > UINT32_MAX || cap < ZDICT_CAP_MIN ||
        dict_id < PROTO_ZDICT_ID_MIN || dict_id > PROTO_ZDICT_ID_MAX)
        return errinfo_set(ei, E_INVALID, "bad dictionary training arguments");
    enum err e = E_OK;
    char *trained = malloc(cap);
    if (!trained)
        return errinfo_set(ei, E_NOMEM, "no memory to train a dictionary");
    size_t len = ZDICT_trainFromBuffer(trained, cap, samples, sizes, (unsigned)n);
    if (ZDICT_isError(len)) {
        e = errinfo_set(ei, E_PARSE, "dictionary training failed: %s", ZDICT_getErrorName(len));
        goto out;
    }
    size_t header = ZDICT_getDictHeaderSize(trained, len);
    if (ZDICT_isError(header) || header >= len) {
        e = errinfo_set(ei, E_PARSE, "trained dictionary has no content");
        goto out;
    }
    if (out->max < out->len + cap)
        out->max = out->len + cap;
    char *dst;
    if ((e = buf_reserve(out, cap, &dst)))
        goto out;
    ZDICT_params_t params = {.compressionLevel = level, .dictID = dict_id};
    size_t done = ZDICT_finalizeDictionary(dst, cap, trained + header, len - header, samples, sizes,
                                           (unsigned)n, params);
    if (ZDICT_isError(done)) {
        e = errinfo_set(ei, E_PARSE, "dictionary finalisation failed: %s",
                        ZDICT_getErrorName(done));
        goto out;
    }
    buf_commit(out, done);
out:
    free(trained);
    return e;
}

uint32_t proto_zdict_id(const void *dict, size_t len)
{
    return dict ? ZDICT_getDictID(dict, len) : 0;
}

uint32_t proto_zstd_frame_dict(const void *frame, size_t len)
{
    return frame ? ZSTD_getDictID_fromFrame(frame, len) : 0;
}

ZSTD_CDict *proto_zdict_cdict(const void *dict, size_t len, int level)
{
    if (proto_zdict_id(dict, len) == 0)
        return NULL;
    return ZSTD_createCDict(dict, len, level);
}

ZSTD_DDict *proto_zdict_ddict(const void *dict, size_t len)
{
    if (proto_zdict_id(dict, len) == 0)
        return NULL;
    return ZSTD_createDDict(dict, len);
}
