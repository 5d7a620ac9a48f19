/* jsonpp: a small JSON tool, the "real work" test. Built natively and for wasm32-wasi from this
 * one source; scripts/test-wasi checks that both give byte-identical output.
 *
 *   jsonpp gen SEED COUNT            writes a pseudo-random JSON document to stdout
 *   jsonpp pretty FILE [--sort-keys] [-o OUT]
 *                                    parses FILE, prints it indented (to OUT if given)
 *   jsonpp stats FILE                counts values by kind, depth, string bytes, sum of numbers
 *
 * Parsing is strict RFC 8259 (no trailing commas, no comments; \u escapes with surrogate pairs
 * checked); an error names line and column and exits with 2. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- values ------------------------------------------------------------------------------ */

typedef enum { J_NULL, J_FALSE, J_TRUE, J_NUMBER, J_STRING, J_ARRAY, J_OBJECT } kind;

typedef struct value value;
typedef struct member {
    char *key;
    size_t key_len;
    size_t index; /* position in the object, to keep duplicate keys in order when sorting */
    value *val;
} member;

struct value {
    kind kind;
    char *text; /* number lexeme, or string bytes (UTF-8, may contain NUL) */
    size_t len;
    value **items;   /* array */
    member *members; /* object */
    size_t count;
};

static void *xmalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (!p) {
        fprintf(stderr, "jsonpp: out of memory\n");
        exit(3);
    }
    return p;
}

static void *xrealloc(void *p, size_t n) {
    p = realloc(p, n ? n : 1);
    if (!p) {
        fprintf(stderr, "jsonpp: out of memory\n");
        exit(3);
    }
    return p;
}

static void free_value(value *v) {
    if (!v) return;
    free(v->text);
    for (size_t i = 0; v->kind == J_ARRAY && i < v->count; i++) free_value(v->items[i]);
    for (size_t i = 0; v->kind == J_OBJECT && i < v->count; i++) {
        free(v->members[i].key);
        free_value(v->members[i].val);
    }
    free(v->items);
    free(v->members);
    free(v);
}

/* ---- parsing ----------------------------------------------------------------------------- */

typedef struct parser {
    const char *s, *end, *p;
} parser;

static _Noreturn void fail(const parser *ps, const char *what) {
    size_t line = 1, col = 1;
    for (const char *q = ps->s; q < ps->p; q++) {
        if (*q == '\n') {
            line++;
            col = 1;
        } else {
            col++;
        }
    }
    fprintf(stderr, "jsonpp: line %zu, column %zu: %s\n", line, col, what);
    exit(2);
}

static void skip_ws(parser *ps) {
    while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
        ps->p++;
}

static int peek(parser *ps) { return ps->p < ps->end ? (unsigned char)*ps->p : -1; }

static void expect(parser *ps, const char *word) {
    size_t n = strlen(word);
    if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0) fail(ps, "invalid literal");
    ps->p += n;
}

static unsigned hex4(parser *ps) {
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        int c = peek(ps);
        v <<= 4;
        if (c >= '0' && c <= '9') v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') v |= (unsigned)(c - 'A' + 10);
        else fail(ps, "bad \\u escape");
        ps->p++;
    }
    return v;
}

static void put_utf8(char **buf, size_t *len, size_t *cap, uint32_t cp) {
    if (*len + 4 > *cap) *buf = xrealloc(*buf, *cap = *cap * 2 + 8);
    char *o = *buf + *len;
    if (cp < 0x80) {
        o[0] = (char)cp;
        *len += 1;
    } else if (cp < 0x800) {
        o[0] = (char)(0xc0 | cp >> 6);
        o[1] = (char)(0x80 | (cp & 0x3f));
        *len += 2;
    } else if (cp < 0x10000) {
        o[0] = (char)(0xe0 | cp >> 12);
        o[1] = (char)(0x80 | (cp >> 6 & 0x3f));
        o[2] = (char)(0x80 | (cp & 0x3f));
        *len += 3;
    } else {
        o[0] = (char)(0xf0 | cp >> 18);
        o[1] = (char)(0x80 | (cp >> 12 & 0x3f));
        o[2] = (char)(0x80 | (cp >> 6 & 0x3f));
        o[3] = (char)(0x80 | (cp & 0x3f));
        *len += 4;
    }
}

static char *parse_string(parser *ps, size_t *out_len) {
    ps->p++; /* the opening quote */
    size_t len = 0, cap = 16;
    char *buf = xmalloc(cap);
    for (;;) {
        int c = peek(ps);
        if (c < 0) fail(ps, "unterminated string");
        if (c < 0x20) fail(ps, "control character in string");
        ps->p++;
        if (c == '"') break;
        if (c != '\\') {
            if (len + 1 > cap) buf = xrealloc(buf, cap *= 2);
            buf[len++] = (char)c;
            continue;
        }
        c = peek(ps);
        ps->p++;
        uint32_t cp;
        switch (c) {
        case '"': cp = '"'; break;
        case '\\': cp = '\\'; break;
        case '/': cp = '/'; break;
        case 'b': cp = '\b'; break;
        case 'f': cp = '\f'; break;
        case 'n': cp = '\n'; break;
        case 'r': cp = '\r'; break;
        case 't': cp = '\t'; break;
        case 'u':
            cp = hex4(ps);
            if (cp >= 0xd800 && cp < 0xdc00) {
                if (peek(ps) != '\\') fail(ps, "lone high surrogate");
                ps->p++;
                if (peek(ps) != 'u') fail(ps, "lone high surrogate");
                ps->p++;
                uint32_t lo = hex4(ps);
                if (lo < 0xdc00 || lo >= 0xe000) fail(ps, "bad low surrogate");
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            } else if (cp >= 0xdc00 && cp < 0xe000) {
                fail(ps, "lone low surrogate");
            }
            break;
        default: fail(ps, "bad escape");
        }
        put_utf8(&buf, &len, &cap, cp);
    }
    *out_len = len;
    return buf;
}

static void parse_number(parser *ps, value *v) {
    const char *start = ps->p;
    if (peek(ps) == '-') ps->p++;
    if (peek(ps) == '0') {
        ps->p++;
    } else if (peek(ps) >= '1' && peek(ps) <= '9') {
        while (peek(ps) >= '0' && peek(ps) <= '9') ps->p++;
    } else {
        fail(ps, "bad number");
    }
    if (peek(ps) == '.') {
        ps->p++;
        if (!(peek(ps) >= '0' && peek(ps) <= '9')) fail(ps, "bad fraction");
        while (peek(ps) >= '0' && peek(ps) <= '9') ps->p++;
    }
    if (peek(ps) == 'e' || peek(ps) == 'E') {
        ps->p++;
        if (peek(ps) == '+' || peek(ps) == '-') ps->p++;
        if (!(peek(ps) >= '0' && peek(ps) <= '9')) fail(ps, "bad exponent");
        while (peek(ps) >= '0' && peek(ps) <= '9') ps->p++;
    }
    v->len = (size_t)(ps->p - start);
    v->text = xmalloc(v->len + 1);
    memcpy(v->text, start, v->len);
    v->text[v->len] = '\0';
}

static value *parse_value(parser *ps, int depth) {
    if (depth > 500) fail(ps, "nested too deeply");
    skip_ws(ps);
    value *v = xmalloc(sizeof *v);
    memset(v, 0, sizeof *v);
    int c = peek(ps);
    size_t cap = 0;
    switch (c) {
    case 'n': expect(ps, "null"); v->kind = J_NULL; break;
    case 't': expect(ps, "true"); v->kind = J_TRUE; break;
    case 'f': expect(ps, "false"); v->kind = J_FALSE; break;
    case '"': v->kind = J_STRING; v->text = parse_string(ps, &v->len); break;
    case '[':
        v->kind = J_ARRAY;
        ps->p++;
        skip_ws(ps);
        if (peek(ps) == ']') {
            ps->p++;
            break;
        }
        for (;;) {
            if (v->count == cap) v->items = xrealloc(v->items, (cap = cap * 2 + 4) * sizeof *v->items);
            v->items[v->count++] = parse_value(ps, depth + 1);
            skip_ws(ps);
            if (peek(ps) == ',') {
                ps->p++;
                continue;
            }
            if (peek(ps) == ']') {
                ps->p++;
                break;
            }
            fail(ps, "expected ',' or ']'");
        }
        break;
    case '{':
        v->kind = J_OBJECT;
        ps->p++;
        skip_ws(ps);
        if (peek(ps) == '}') {
            ps->p++;
            break;
        }
        for (;;) {
            skip_ws(ps);
            if (peek(ps) != '"') fail(ps, "expected a key");
            if (v->count == cap) v->members = xrealloc(v->members, (cap = cap * 2 + 4) * sizeof *v->members);
            member *m = &v->members[v->count];
            m->index = v->count++;
            m->key = parse_string(ps, &m->key_len);
            skip_ws(ps);
            if (peek(ps) != ':') fail(ps, "expected ':'");
            ps->p++;
            m->val = parse_value(ps, depth + 1);
            skip_ws(ps);
            if (peek(ps) == ',') {
                ps->p++;
                continue;
            }
            if (peek(ps) == '}') {
                ps->p++;
                break;
            }
            fail(ps, "expected ',' or '}'");
        }
        break;
    default:
        if (c == '-' || (c >= '0' && c <= '9')) {
            v->kind = J_NUMBER;
            parse_number(ps, v);
        } else {
            fail(ps, c < 0 ? "unexpected end of input" : "unexpected character");
        }
    }
    return v;
}

/* ---- output ------------------------------------------------------------------------------ */

static void write_chars(FILE *out, const char *s, size_t len) {
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '"': fputs("\\\"", out); break;
        case '\\': fputs("\\\\", out); break;
        case '\n': fputs("\\n", out); break;
        case '\r': fputs("\\r", out); break;
        case '\t': fputs("\\t", out); break;
        case '\b': fputs("\\b", out); break;
        case '\f': fputs("\\f", out); break;
        default:
            if (c < 0x20) fprintf(out, "\\u%04x", c);
            else fputc(c, out);
        }
    }
}

static void write_string(FILE *out, const char *s, size_t len) {
    fputc('"', out);
    write_chars(out, s, len);
    fputc('"', out);
}

static int sort_keys;

/* Orders members by key bytes, then by position (qsort is not stable). */
static int member_cmp(const void *a, const void *b) {
    const member *x = a, *y = b;
    size_t n = x->key_len < y->key_len ? x->key_len : y->key_len;
    int c = memcmp(x->key, y->key, n);
    if (c) return c;
    if (x->key_len != y->key_len) return x->key_len < y->key_len ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

static void indent(FILE *out, int depth) {
    for (int i = 0; i < depth; i++) fputs("  ", out);
}

static void pretty(FILE *out, value *v, int depth) {
    switch (v->kind) {
    case J_NULL: fputs("null", out); break;
    case J_TRUE: fputs("true", out); break;
    case J_FALSE: fputs("false", out); break;
    case J_NUMBER: fwrite(v->text, 1, v->len, out); break;
    case J_STRING: write_string(out, v->text, v->len); break;
    case J_ARRAY:
        if (!v->count) {
            fputs("[]", out);
            break;
        }
        fputs("[\n", out);
        for (size_t i = 0; i < v->count; i++) {
            indent(out, depth + 1);
            pretty(out, v->items[i], depth + 1);
            fputs(i + 1 < v->count ? ",\n" : "\n", out);
        }
        indent(out, depth);
        fputc(']', out);
        break;
    case J_OBJECT:
        if (!v->count) {
            fputs("{}", out);
            break;
        }
        if (sort_keys) qsort(v->members, v->count, sizeof *v->members, member_cmp);
        fputs("{\n", out);
        for (size_t i = 0; i < v->count; i++) {
            indent(out, depth + 1);
            write_string(out, v->members[i].key, v->members[i].key_len);
            fputs(": ", out);
            pretty(out, v->members[i].val, depth + 1);
            fputs(i + 1 < v->count ? ",\n" : "\n", out);
        }
        indent(out, depth);
        fputc('}', out);
        break;
    }
}

typedef struct stats {
    size_t counts[7], max_depth, string_bytes;
    double sum, min, max;
    long long integers;
} stats;

static void collect(const value *v, size_t depth, stats *st) {
    st->counts[v->kind]++;
    if (depth > st->max_depth) st->max_depth = depth;
    if (v->kind == J_STRING) st->string_bytes += v->len;
    if (v->kind == J_NUMBER) {
        double d = strtod(v->text, NULL);
        st->sum += d;
        if (st->counts[J_NUMBER] == 1 || d < st->min) st->min = d;
        if (st->counts[J_NUMBER] == 1 || d > st->max) st->max = d;
        if (!strpbrk(v->text, ".eE")) st->integers += strtoll(v->text, NULL, 10) % 1000003;
    }
    for (size_t i = 0; v->kind == J_ARRAY && i < v->count; i++) collect(v->items[i], depth + 1, st);
    for (size_t i = 0; v->kind == J_OBJECT && i < v->count; i++) {
        st->string_bytes += v->members[i].key_len;
        collect(v->members[i].val, depth + 1, st);
    }
}

/* ---- generating ---------------------------------------------------------------------------- */

static uint64_t rng;

static uint32_t next(void) {
    rng = rng * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(rng >> 33);
}

static void gen_string(void) {
    static const char *const parts[] = {"alpha", "beta", " ", "\"quoted\"", "tab\t", "line\n",
                                        "back\\slash", "caf\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80",
                                        "\x01", "/"};
    size_t n = next() % 4;
    char buf[128] = "";
    for (size_t i = 0; i < n; i++) strcat(buf, parts[next() % (sizeof parts / sizeof parts[0])]);
    if (next() % 5 == 0) { /* an escape spelled out, for the parser */
        fputs("\"esc\\u00e9\\ud83d\\ude00\\/", stdout);
        write_chars(stdout, buf, strlen(buf));
        fputs("\"", stdout);
        return;
    }
    write_string(stdout, buf, strlen(buf));
}

static void gen_value(int depth) {
    uint32_t r = next() % (depth > 4 ? 6 : 9);
    switch (r) {
    case 0: fputs("null", stdout); break;
    case 1: fputs(next() % 2 ? "true" : "false", stdout); break;
    case 2: printf("%d", (int)(next() % 2000001) - 1000000); break;
    case 3: { /* one call per statement: argument evaluation order is unspecified */
        uint32_t whole = next() % 1000, frac = next() % 1000;
        printf("%u.%03ue%d", whole, frac, (int)(next() % 40) - 20);
        break;
    }
    case 4: printf("-0.%u", next()); break;
    case 5: gen_string(); break;
    case 6:
    case 7: {
        uint32_t n = next() % 6;
        fputs("[", stdout);
        for (uint32_t i = 0; i < n; i++) {
            if (i) fputs(next() % 2 ? ", " : ",", stdout);
            gen_value(depth + 1);
        }
        fputs("]", stdout);
        break;
    }
    default: {
        uint32_t n = next() % 6;
        fputs("{", stdout);
        for (uint32_t i = 0; i < n; i++) {
            if (i) fputs(",\n ", stdout);
            printf("\"k%u\" : ", next() % 8);
            gen_value(depth + 1);
        }
        fputs("}", stdout);
    }
    }
}

/* ---- main ---------------------------------------------------------------------------------- */

static char *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "jsonpp: %s: %s\n", path, strerror(errno));
        exit(1);
    }
    size_t cap = 1 << 16, n = 0, got;
    char *buf = xmalloc(cap);
    while ((got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) buf = xrealloc(buf, cap *= 2);
    }
    fclose(f);
    *len = n;
    return buf;
}

static value *load(const char *path) {
    size_t len;
    char *text = slurp(path, &len);
    parser ps = {text, text + len, text};
    value *v = parse_value(&ps, 0);
    skip_ws(&ps);
    if (ps.p != ps.end) fail(&ps, "trailing characters");
    free(text);
    return v;
}

static int usage(void) {
    fputs("usage: jsonpp gen SEED COUNT | pretty FILE [--sort-keys] [-o OUT] | stats FILE\n", stderr);
    return 1;
}

int main(int argc, char **argv) {
    if (argc >= 4 && strcmp(argv[1], "gen") == 0) {
        rng = strtoull(argv[2], NULL, 10);
        long count = atol(argv[3]);
        fputs("[\n", stdout);
        for (long i = 0; i < count; i++) {
            printf("  {\"id\": %ld, \"value\": ", i);
            gen_value(0);
            fputs(i + 1 < count ? "},\n" : "}\n", stdout);
        }
        fputs("]\n", stdout);
        return 0;
    }
    if (argc >= 3 && strcmp(argv[1], "pretty") == 0) {
        const char *out_path = NULL;
        for (int i = 3; i < argc; i++) {
            if (strcmp(argv[i], "--sort-keys") == 0) sort_keys = 1;
            else if (strcmp(argv[i], "-o") == 0 && i + 1 < argc) out_path = argv[++i];
            else return usage();
        }
        value *v = load(argv[2]);
        FILE *out = out_path ? fopen(out_path, "w") : stdout;
        if (!out) {
            fprintf(stderr, "jsonpp: %s: %s\n", out_path, strerror(errno));
            return 1;
        }
        pretty(out, v, 0);
        fputc('\n', out);
        if (out != stdout && fclose(out) != 0) return 1;
        free_value(v);
        return 0;
    }
    if (argc == 3 && strcmp(argv[1], "stats") == 0) {
        value *v = load(argv[2]);
        stats st = {0};
        collect(v, 0, &st);
        static const char *const names[] = {"null", "false", "true", "number", "string", "array", "object"};
        for (int k = 0; k < 7; k++) printf("%-7s %zu\n", names[k], st.counts[k]);
        printf("depth   %zu\nstring bytes %zu\n", st.max_depth, st.string_bytes);
        printf("sum %.17g\nmin %.17g\nmax %.17g\nintegers mod sum %lld\n", st.sum, st.min, st.max,
               st.integers);
        free_value(v);
        return 0;
    }
    return usage();
}
