/* proto/zdict: zstd dictionaries for the stored event bodies — training one from sample
 * bodies (zstd's ZDICT), reading a dictionary's and a frame's dictionary ID, and building the
 * digested forms compression (ZSTD_CDict) and decompression (ZSTD_DDict) use. Pure code:
 * samples come from the caller and dictionaries go back to it; which dictionary belongs to
 * which project, and where it is kept, is api/zdicts.h's business. Compression and
 * decompression with them are in proto/decompress.h. */
#ifndef SNAG_PROTO_ZDICT_H
#define SNAG_PROTO_ZDICT_H

#include <stddef.h>
#include <stdint.h>
#include <zstd.h>

#include "core/buf.h"
#include "core/err.h"

/* Dictionary IDs snag gives its dictionaries: outside the ranges the zstd format reserves
 * (<= 32767 and >= 2^31), so never 0. */
#define PROTO_ZDICT_ID_MIN 32768u
#define PROTO_ZDICT_ID_MAX 0x7fffffffu

/* Trains a dictionary of at most cap bytes (>= 1 KiB) from n samples — concatenated in
 * samples, sizes[i] bytes each —, with its statistics tuned for compression level `level`
 * and dictionary ID dict_id (PROTO_ZDICT_ID_MIN..MAX), and appends it to out (whose max is
 * raised to fit). E_INVALID for a bad argument; E_PARSE when zstd cannot make a dictionary of
 * these samples (too few, too small, all alike: compress without one then). Takes some tens
 * of milliseconds to a second and ~6 MB of memory: never on a request thread. */
enum err proto_zdict_train(const void *samples, const size_t *sizes, size_t n, size_t cap,
                           int level, uint32_t dict_id, struct buf *out, struct errinfo *ei) WUR;

/* The dictionary ID of a zstd dictionary; 0 when dict is not one (raw content included). */
uint32_t proto_zdict_id(const void *dict, size_t len);
/* The dictionary ID a zstd frame names; 0 when it names none or is not a zstd frame. */
uint32_t proto_zstd_frame_dict(const void *frame, size_t len);

/* The digested forms of a dictionary (copied: dict may be freed after). NULL when dict is
 * not a zstd dictionary with an ID, or out of memory. The caller frees them with
 * ZSTD_freeCDict / ZSTD_freeDDict; both may be used by many threads at once. */
ZSTD_CDict *proto_zdict_cdict(const void *dict, size_t len, int level);
ZSTD_DDict *proto_zdict_ddict(const void *dict, size_t len);

#endif
