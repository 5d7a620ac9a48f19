/* signature.c: canonical signature ids. One process-wide registry maps a function type (its
 * parameter and result kinds) to a small id, so that equal types get equal ids across modules
 * and call_indirect / import checks compare one integer. Ids start at 1; 0 is never valid. */
#include "internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

typedef struct sig_entry {
    uint32_t hash, nparams, nresults;
    uint8_t *kinds; /* params then results */
} sig_entry;

static pthread_mutex_t sig_lock = PTHREAD_MUTEX_INITIALIZER;
static sig_entry *sigs;
static uint32_t nsigs, capsigs;

static uint32_t hash_bytes(uint32_t h, const uint8_t *p, uint32_t n) {
    for (uint32_t i = 0; i < n; i++) h = (h ^ p[i]) * 16777619u;
    return h;
}

uint32_t wasmc_signature_id(const uint8_t *params, uint32_t nparams, const uint8_t *results,
                            uint32_t nresults) {
    uint32_t h = hash_bytes(2166136261u ^ nparams ^ (nresults << 16), params, nparams);
    h = hash_bytes(h, results, nresults);
    uint32_t id = 0;
    pthread_mutex_lock(&sig_lock);
    for (uint32_t i = 0; i < nsigs && !id; i++) {
        const sig_entry *e = &sigs[i];
        if (e->hash == h && e->nparams == nparams && e->nresults == nresults &&
            (nparams == 0 || memcmp(e->kinds, params, nparams) == 0) &&
            (nresults == 0 || memcmp(e->kinds + nparams, results, nresults) == 0))
            id = i + 1;
    }
    if (!id) {
        uint8_t *kinds = malloc((size_t)nparams + nresults + 1);
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
        if (nparams) memcpy(kinds, params, nparams);
        if (nresults) memcpy(kinds + nparams, results, nresults);
        sigs[nsigs] = (sig_entry){h, nparams, nresults, kinds};
        id = ++nsigs;
    }
    pthread_mutex_unlock(&sig_lock);
    return id;
}
