/* signature.c: canonical signature ids. One process-wide registry maps a function type (its
 * parameter and result kinds) to a small id, so that equal types get equal ids across modules
 * and call_indirect / import checks compare one integer. Ids start at 1; 0 is never valid. */
#include "internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

typedef struct sig_entry {
    uint32_t hash, nparams, nresults;
    uint8_t *kinds; /* params then results; for a type known by its key, the key */
} sig_entry;

/* `nparams` of the entries that hold a type key (rt_type_key_id) in `kinds`, `nresults` bytes. */
#define KEYED UINT32_MAX

static pthread_mutex_t sig_lock = PTHREAD_MUTEX_INITIALIZER;
static sig_entry *sigs;
static uint32_t nsigs, capsigs;

static uint32_t hash_bytes(uint32_t h, const uint8_t *p, uint32_t n) {
    for (uint32_t i = 0; i < n; i++) h = (h ^ p[i]) * 16777619u;
    return h;
}

/* The id of the entry (nparams, nresults, bytes), added if new. */
static uint32_t intern(uint32_t h, uint32_t nparams, uint32_t nresults, const uint8_t *a, uint32_t alen,
                       const uint8_t *b, uint32_t blen) {
    uint32_t id = 0;
    pthread_mutex_lock(&sig_lock);
    for (uint32_t i = 0; i < nsigs && !id; i++) {
        const sig_entry *e = &sigs[i];
        if (e->hash == h && e->nparams == nparams && e->nresults == nresults &&
            (alen == 0 || memcmp(e->kinds, a, alen) == 0) &&
            (blen == 0 || memcmp(e->kinds + alen, b, blen) == 0))
            id = i + 1;
    }
    if (!id) {
        uint8_t *kinds = malloc((size_t)alen + blen + 1);
        if (nsigs == capsigs) {
            uint32_t cap = capsigs ? capsigs * 2 : 64;
            sig_entry *grown = realloc(sigs, cap * sizeof *grown);
            if (grown) {
                sigs = grown;
                capsigs = cap;
            }
        }
        if (!kinds || nsigs == capsigs) {
            /* Out of memory: there is no sensible id to return. */
            pthread_mutex_unlock(&sig_lock);
            abort();
        }
        if (alen) memcpy(kinds, a, alen);
        if (blen) memcpy(kinds + alen, b, blen);
        sigs[nsigs] = (sig_entry){h, nparams, nresults, kinds};
        id = ++nsigs;
    }
    pthread_mutex_unlock(&sig_lock);
    return id;
}

uint32_t wasmc_signature_id(const uint8_t *params, uint32_t nparams, const uint8_t *results,
                            uint32_t nresults) {
    uint32_t h = hash_bytes(2166136261u ^ nparams ^ (nresults << 16), params, nparams);
    h = hash_bytes(h, results, nresults);
    return intern(h, nparams, nresults, params, nparams, results, nresults);
}

uint32_t rt_type_key_id(const char *key, uint32_t len) {
    uint32_t h = hash_bytes(2166136261u ^ KEYED, (const uint8_t *)key, len);
    return intern(h, KEYED, len, (const uint8_t *)key, len, NULL, 0);
}

/* ---- matching value types ------------------------------------------------------------ */

/* The key of a value type: its own, or for a reference kind without one, the kind's type. */
static const char *full_key(uint8_t kind, const char *key) {
    if (key) return key;
    switch (kind) {
    case WASMC_FUNCREF: return "(ref null func)";
    case WASMC_EXTERNREF: return "(ref null extern)";
    case WASMC_EXNREF: return "(ref null exn)";
    default: return NULL;
    }
}

/* Splits "(ref null? HEAP)" into nullability and HEAP (start and length). */
static bool split_ref(const char *key, bool *nullable, const char **heap, size_t *len) {
    size_t n = strlen(key);
    if (n < 7 || strncmp(key, "(ref ", 5) != 0 || key[n - 1] != ')') return false;
    key += 5, n -= 6;
    *nullable = n > 5 && strncmp(key, "null ", 5) == 0;
    if (*nullable) key += 5, n -= 5;
    *heap = key, *len = n;
    return true;
}

static bool heap_is(const char *heap, size_t len, const char *name) {
    return strlen(name) == len && memcmp(heap, name, len) == 0;
}

bool rt_value_type_matches(uint8_t kind, const char *key, uint8_t want_kind, const char *want_key, bool subtype) {
    if (kind != want_kind) return false;
    const char *a = full_key(kind, key), *b = full_key(want_kind, want_key);
    if (!a || !b) return a == b; /* numbers and vectors: the kinds say it all */
    if (strcmp(a, b) == 0) return true;
    bool an, bn;
    const char *ah, *bh;
    size_t al, bl;
    if (!subtype || !split_ref(a, &an, &ah, &al) || !split_ref(b, &bn, &bh, &bl)) return false;
    if (an && !bn) return false;
    if (al == bl && memcmp(ah, bh, al) == 0) return true;
    bool a_concrete = al && ah[0] == '[', b_concrete = bl && bh[0] == '[';
    if (a_concrete) return heap_is(bh, bl, "func");
    if (heap_is(ah, al, "nofunc")) return heap_is(bh, bl, "func") || b_concrete;
    if (heap_is(ah, al, "noextern")) return heap_is(bh, bl, "extern");
    if (heap_is(ah, al, "noexn")) return heap_is(bh, bl, "exn");
    return false;
}
