/*
 * Compute kernels for the Ukrainian algorithms: GOST 34.311-95 (with GOST 28147-89), Kupyna
 * (DSTU 7564:2014) and DSTU 4145-2002 scalar multiplication over GF(2^m), polynomial basis.
 *
 * Why C: the pure-Python modules (verify/gost34311.py, verify/kupyna.py, verify/dstu4145.py) are
 * the reference and the fallback; they give identical results but run at about 1 MB/s for the
 * hashes and ~13 ms for a DSTU verification, so the hash of a photo-sized copy dominated every
 * DSTU validation. This file holds only arithmetic on fixed-size arrays: no parsing, no ASN.1,
 * no allocation beyond the result objects. Inputs are validated by the Python callers and
 * re-checked here only where a wrong size would read out of bounds.
 *
 * Byte and word conventions are exactly those of the Python modules (see their docstrings):
 * 256-bit GOST values are 32 little-endian bytes; Kupyna columns are little-endian 64-bit words
 * with row 0 in the least significant byte; field elements cross the boundary as Python ints.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#define HAVE_X86 1
#else
#define HAVE_X86 0
#endif

/* ------------------------------------------------------------------------------------------ */
/* GOST 28147-89 and the GOST 34.311-95 step                                                    */
/* ------------------------------------------------------------------------------------------ */

typedef struct {
    uint32_t t[4][256]; /* f(x) = rol11(S(x)) split by bytes: f = t0[b0]^t1[b1]^t2[b2]^t3[b3] */
} gost_tables;

/* Nibble p of the round input goes through row 7 - p of the table; in the packed 64-byte form
 * row 7 - p occupies bytes 8p..8p+7, the high nibble of byte i being column 2i. */
static void gost_build(gost_tables *gt, const uint8_t *packed) {
    uint8_t nib[8][16];
    for (int p = 0; p < 8; p++) {
        for (int v = 0; v < 16; v++) {
            uint8_t byte = packed[8 * p + v / 2];
            nib[p][v] = (v & 1) ? (byte & 0x0F) : (byte >> 4);
        }
    }
    for (int q = 0; q < 4; q++) {
        for (int x = 0; x < 256; x++) {
            uint32_t s = ((uint32_t)nib[2 * q][x & 15] << (8 * q)) |
                         ((uint32_t)nib[2 * q + 1][x >> 4] << (8 * q + 4));
            gt->t[q][x] = (s << 11) | (s >> 21);
        }
    }
}

static inline uint32_t gost_f(const gost_tables *gt, uint32_t x) {
    return gt->t[0][x & 255] ^ gt->t[1][(x >> 8) & 255] ^ gt->t[2][(x >> 16) & 255] ^
           gt->t[3][x >> 24];
}

static inline uint64_t load64(const uint8_t *p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}

static inline void store64(uint8_t *p, uint64_t v) {
    for (int i = 0; i < 8; i++) {
        p[i] = (uint8_t)v;
        v >>= 8;
    }
}

/* psi: the sixteen 16-bit words move down by one, w0^w1^w2^w3^w12^w15 goes on top. Applied
 * `times` times as a sliding window over one array: each new top word is appended. */
static void gost_psi(uint16_t w[16], int times) {
    uint16_t buf[16 + 64];
    memcpy(buf, w, 16 * sizeof(uint16_t));
    for (int t = 0; t < times; t++)
        buf[16 + t] = buf[t] ^ buf[t + 1] ^ buf[t + 2] ^ buf[t + 3] ^ buf[t + 12] ^ buf[t + 15];
    memcpy(w, buf + times, 16 * sizeof(uint16_t));
}

static void words16_from(uint16_t w[16], const uint8_t b[32]) {
    for (int i = 0; i < 16; i++) w[i] = (uint16_t)(b[2 * i] | (b[2 * i + 1] << 8));
}

static void words16_to(uint8_t b[32], const uint16_t w[16]) {
    for (int i = 0; i < 16; i++) {
        b[2 * i] = (uint8_t)w[i];
        b[2 * i + 1] = (uint8_t)(w[i] >> 8);
    }
}

/* C3 as 32 little-endian bytes: 0xFF at the listed byte positions. */
static const uint8_t GOST_C3[32] = {0x00, 0xFF, 0x00, 0xFF, 0x00, 0xFF, 0x00, 0xFF,
                                    0xFF, 0x00, 0xFF, 0x00, 0xFF, 0x00, 0xFF, 0x00,
                                    0x00, 0xFF, 0xFF, 0x00, 0xFF, 0x00, 0x00, 0xFF,
                                    0xFF, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0x00, 0xFF};

/* A(y) = (y2, y3, y4, y1 ^ y2) on the four 64-bit words, word 1 least significant. */
static void gost_a(uint64_t y[4]) {
    uint64_t y1 = y[0];
    y[0] = y[1];
    y[1] = y[2];
    y[2] = y[3];
    y[3] = y1 ^ y[0];
}

/* The four encryptions of one step are independent; running them in lockstep lets the CPU
 * overlap their table lookups, where one encryption alone waits on each round's result. */
static void gost_encrypt4(const gost_tables *gt, uint64_t blk[4], const uint32_t k[4][8]) {
    uint32_t a[4], b[4];
    for (int e = 0; e < 4; e++) {
        a[e] = (uint32_t)blk[e];
        b[e] = (uint32_t)(blk[e] >> 32);
    }
    for (int r = 0; r < 32; r++) {
        /* key schedule: k0..k7 three times, then k7..k0 */
        const int i = r < 24 ? (r & 7) : (7 - (r & 7));
        if (r & 1) {
            for (int e = 0; e < 4; e++) a[e] ^= gost_f(gt, b[e] + k[e][i]);
        } else {
            for (int e = 0; e < 4; e++) b[e] ^= gost_f(gt, a[e] + k[e][i]);
        }
    }
    for (int e = 0; e < 4; e++) blk[e] = (uint64_t)b[e] | ((uint64_t)a[e] << 32);
}

static void gost_step(const gost_tables *gt, uint8_t h[32], const uint8_t m[32]) {
    uint64_t u[4], v[4], w[4][4], c3[4];
    for (int i = 0; i < 4; i++) {
        u[i] = load64(h + 8 * i);
        v[i] = load64(m + 8 * i);
        c3[i] = load64(GOST_C3 + 8 * i);
    }
    for (int k = 0; k < 4; k++) {
        if (k) {
            gost_a(u);
            if (k == 2)
                for (int i = 0; i < 4; i++) u[i] ^= c3[i];
            gost_a(v);
            gost_a(v);
        }
        for (int i = 0; i < 4; i++) w[k][i] = u[i] ^ v[i];
    }
    uint8_t s[32];
    uint32_t keys[4][8];
    uint64_t blk[4];
    for (int k = 0; k < 4; k++) {
        uint8_t wb[32];
        for (int i = 0; i < 4; i++) store64(wb + 8 * i, w[k][i]);
        /* P: key byte i + 4j is byte 8i + j of w. */
        for (int j = 0; j < 8; j++)
            keys[k][j] = (uint32_t)wb[j] | ((uint32_t)wb[8 + j] << 8) |
                         ((uint32_t)wb[16 + j] << 16) | ((uint32_t)wb[24 + j] << 24);
        blk[k] = load64(h + 8 * k);
    }
    gost_encrypt4(gt, blk, (const uint32_t(*)[8])keys);
    for (int k = 0; k < 4; k++) store64(s + 8 * k, blk[k]);
    /* psi^61(h ^ psi(m ^ psi^12(s))) */
    uint16_t x[16], hw[16], mw[16];
    words16_from(x, s);
    words16_from(hw, h);
    words16_from(mw, m);
    gost_psi(x, 12);
    for (int i = 0; i < 16; i++) x[i] ^= mw[i];
    gost_psi(x, 1);
    for (int i = 0; i < 16; i++) x[i] ^= hw[i];
    gost_psi(x, 61);
    words16_to(h, x);
}

static void add256(uint8_t sigma[32], const uint8_t *m) {
    unsigned carry = 0;
    for (int i = 0; i < 32; i++) {
        carry += (unsigned)sigma[i] + m[i];
        sigma[i] = (uint8_t)carry;
        carry >>= 8;
    }
}

static int get_sbox(PyObject *obj, Py_buffer *view) {
    if (PyObject_GetBuffer(obj, view, PyBUF_SIMPLE) < 0) return -1;
    if (view->len != 64) {
        PyBuffer_Release(view);
        PyErr_SetString(PyExc_ValueError, "packed S-box must be 64 bytes");
        return -1;
    }
    return 0;
}

/* gost34311_compress(h: bytes[32], sigma: bytes[32], data: buffer (n*32), sbox: bytes[64])
 *   -> (h: bytes, sigma: bytes) */
static PyObject *py_gost34311_compress(PyObject *self, PyObject *args) {
    Py_buffer hb, sb, db, box;
    PyObject *hobj, *sobj, *dobj, *boxobj;
    if (!PyArg_ParseTuple(args, "OOOO", &hobj, &sobj, &dobj, &boxobj)) return NULL;
    if (PyObject_GetBuffer(hobj, &hb, PyBUF_SIMPLE) < 0) return NULL;
    if (PyObject_GetBuffer(sobj, &sb, PyBUF_SIMPLE) < 0) {
        PyBuffer_Release(&hb);
        return NULL;
    }
    if (PyObject_GetBuffer(dobj, &db, PyBUF_SIMPLE) < 0) {
        PyBuffer_Release(&hb);
        PyBuffer_Release(&sb);
        return NULL;
    }
    if (get_sbox(boxobj, &box) < 0) {
        PyBuffer_Release(&hb);
        PyBuffer_Release(&sb);
        PyBuffer_Release(&db);
        return NULL;
    }
    PyObject *result = NULL;
    if (hb.len != 32 || sb.len != 32 || db.len % 32) {
        PyErr_SetString(PyExc_ValueError, "h and sigma must be 32 bytes, data whole blocks");
    } else {
        gost_tables gt;
        uint8_t h[32], sigma[32];
        memcpy(h, hb.buf, 32);
        memcpy(sigma, sb.buf, 32);
        gost_build(&gt, (const uint8_t *)box.buf);
        const uint8_t *data = (const uint8_t *)db.buf;
        Py_ssize_t n = db.len;
        Py_BEGIN_ALLOW_THREADS
        for (Py_ssize_t off = 0; off < n; off += 32) {
            add256(sigma, data + off);
            gost_step(&gt, h, data + off);
        }
        Py_END_ALLOW_THREADS
        result = Py_BuildValue("(y#y#)", (const char *)h, (Py_ssize_t)32, (const char *)sigma,
                               (Py_ssize_t)32);
    }
    PyBuffer_Release(&hb);
    PyBuffer_Release(&sb);
    PyBuffer_Release(&db);
    PyBuffer_Release(&box);
    return result;
}

/* gost34311_step(h: bytes[32], m: bytes[32], sbox: bytes[64]) -> bytes */
static PyObject *py_gost34311_step(PyObject *self, PyObject *args) {
    Py_buffer hb, mb, box;
    PyObject *hobj, *mobj, *boxobj;
    if (!PyArg_ParseTuple(args, "OOO", &hobj, &mobj, &boxobj)) return NULL;
    if (PyObject_GetBuffer(hobj, &hb, PyBUF_SIMPLE) < 0) return NULL;
    if (PyObject_GetBuffer(mobj, &mb, PyBUF_SIMPLE) < 0) {
        PyBuffer_Release(&hb);
        return NULL;
    }
    if (get_sbox(boxobj, &box) < 0) {
        PyBuffer_Release(&hb);
        PyBuffer_Release(&mb);
        return NULL;
    }
    PyObject *result = NULL;
    if (hb.len != 32 || mb.len != 32) {
        PyErr_SetString(PyExc_ValueError, "h and m must be 32 bytes");
    } else {
        gost_tables gt;
        uint8_t h[32];
        memcpy(h, hb.buf, 32);
        gost_build(&gt, (const uint8_t *)box.buf);
        gost_step(&gt, h, (const uint8_t *)mb.buf);
        result = PyBytes_FromStringAndSize((const char *)h, 32);
    }
    PyBuffer_Release(&hb);
    PyBuffer_Release(&mb);
    PyBuffer_Release(&box);
    return result;
}

/* ------------------------------------------------------------------------------------------ */
/* Kupyna                                                                                       */
/* ------------------------------------------------------------------------------------------ */

static uint64_t KUPYNA_T[8][256];
static int kupyna_ready = 0;

static const uint8_t KUPYNA_MDS[8] = {0x01, 0x01, 0x05, 0x01, 0x08, 0x06, 0x07, 0x04};

static uint8_t gf256_mul(uint8_t x, uint8_t y) {
    unsigned r = 0, a = x;
    while (y) {
        if (y & 1) r ^= a;
        a <<= 1;
        if (a & 0x100) a ^= 0x11D;
        y >>= 1;
    }
    return (uint8_t)r;
}

/* kupyna_init(sboxes: bytes[1024]): the four S-boxes pi_0..pi_3, as verify/kupyna.py has them,
 * so that the tables exist in one place only. Builds the eight row tables. */
static PyObject *py_kupyna_init(PyObject *self, PyObject *args) {
    Py_buffer sb;
    if (!PyArg_ParseTuple(args, "y*", &sb)) return NULL;
    if (sb.len != 1024) {
        PyBuffer_Release(&sb);
        PyErr_SetString(PyExc_ValueError, "four 256-byte S-boxes expected");
        return NULL;
    }
    uint8_t boxes[4][256];
    memcpy(boxes, sb.buf, 1024);
    PyBuffer_Release(&sb);
    for (int i = 0; i < 8; i++) {
        for (int x = 0; x < 256; x++) {
            uint8_t s = boxes[i % 4][x];
            uint64_t col = 0;
            for (int r = 0; r < 8; r++)
                col |= (uint64_t)gf256_mul(s, KUPYNA_MDS[((i - r) % 8 + 8) % 8]) << (8 * r);
            KUPYNA_T[i][x] = col;
        }
    }
    kupyna_ready = 1;
    Py_RETURN_NONE;
}

/* One round (S-boxes, row shift, MDS) through the tables. `cols` is a compile-time constant at
 * both call sites (8 or 16), so the compiler unrolls the loops and folds the column indices. */
static inline __attribute__((always_inline)) void kupyna_round_n(uint64_t *s, const int cols) {
    uint64_t out[16];
    for (int j = 0; j < cols; j++) {
        uint64_t acc = 0;
        for (int i = 0; i < 8; i++) {
            const int shift = (i == 7 && cols == 16) ? 11 : i;
            const int src = (j - shift + 2 * cols) % cols;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
            /* byte i of word src read straight from memory: one load instead of shift and mask */
            acc ^= KUPYNA_T[i][((const uint8_t *)s)[8 * src + i]];
#else
            acc ^= KUPYNA_T[i][(s[src] >> (8 * i)) & 255];
#endif
        }
        out[j] = acc;
    }
    memcpy(s, out, (size_t)cols * sizeof(uint64_t));
}

static void kupyna_round(uint64_t *s, int cols) {
    if (cols == 8)
        kupyna_round_n(s, 8);
    else
        kupyna_round_n(s, 16);
}

static void kupyna_txor(uint64_t *s, int cols) {
    int rounds = cols == 8 ? 10 : 14;
    for (int v = 0; v < rounds; v++) {
        for (int j = 0; j < cols; j++) s[j] ^= (uint64_t)((j << 4) ^ v);
        kupyna_round(s, cols);
    }
}

/* T_xor(p) and T_plus(q) of one compression side by side: they are independent, and issuing
 * both rounds' lookups in one basic block lets them overlap (about 1.5 times faster than one
 * permutation after the other). T_xor alone (kupyna_txor) is the final transformation. */
static inline __attribute__((always_inline)) void kupyna_both_n(uint64_t *p, uint64_t *q,
                                                                 const int cols) {
    const int rounds = cols == 8 ? 10 : 14;
    for (int v = 0; v < rounds; v++) {
        for (int j = 0; j < cols; j++) {
            p[j] ^= (uint64_t)((j << 4) ^ v);
            q[j] += 0x00F0F0F0F0F0F0F3ULL ^ ((uint64_t)((((cols - 1 - j) << 4) ^ v) & 0xFF) << 56);
        }
        kupyna_round_n(p, cols);
        kupyna_round_n(q, cols);
    }
}

static void kupyna_both(uint64_t *p, uint64_t *q, int cols) {
    if (cols == 8)
        kupyna_both_n(p, q, 8);
    else
        kupyna_both_n(p, q, 16);
}

static int kupyna_state(PyObject *hobj, uint64_t *h, int *cols) {
    Py_buffer hb;
    if (PyObject_GetBuffer(hobj, &hb, PyBUF_SIMPLE) < 0) return -1;
    if (hb.len != 64 && hb.len != 128) {
        PyBuffer_Release(&hb);
        PyErr_SetString(PyExc_ValueError, "Kupyna state must be 64 or 128 bytes");
        return -1;
    }
    *cols = (int)(hb.len / 8);
    for (int j = 0; j < *cols; j++) h[j] = load64((const uint8_t *)hb.buf + 8 * j);
    PyBuffer_Release(&hb);
    if (!kupyna_ready) {
        PyErr_SetString(PyExc_RuntimeError, "kupyna_init was not called");
        return -1;
    }
    return 0;
}

static PyObject *state_bytes(const uint64_t *h, int cols) {
    uint8_t out[128];
    for (int j = 0; j < cols; j++) store64(out + 8 * j, h[j]);
    return PyBytes_FromStringAndSize((const char *)out, (Py_ssize_t)cols * 8);
}

/* kupyna_compress(h: bytes[64|128], data: buffer (whole blocks)) -> bytes */
static PyObject *py_kupyna_compress(PyObject *self, PyObject *args) {
    PyObject *hobj, *dobj;
    uint64_t h[16];
    int cols;
    if (!PyArg_ParseTuple(args, "OO", &hobj, &dobj)) return NULL;
    if (kupyna_state(hobj, h, &cols) < 0) return NULL;
    Py_buffer db;
    if (PyObject_GetBuffer(dobj, &db, PyBUF_SIMPLE) < 0) return NULL;
    Py_ssize_t size = (Py_ssize_t)cols * 8;
    if (db.len % size) {
        PyBuffer_Release(&db);
        PyErr_SetString(PyExc_ValueError, "data must be whole blocks");
        return NULL;
    }
    const uint8_t *data = (const uint8_t *)db.buf;
    Py_ssize_t n = db.len;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t off = 0; off < n; off += size) {
        uint64_t p[16], q[16];
        for (int j = 0; j < cols; j++) {
            q[j] = load64(data + off + 8 * j);
            p[j] = h[j] ^ q[j];
        }
        kupyna_both(p, q, cols);
        for (int j = 0; j < cols; j++) h[j] ^= p[j] ^ q[j];
    }
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&db);
    return state_bytes(h, cols);
}

/* kupyna_final(h: bytes[64|128]) -> T_xor(h) ^ h as bytes */
static PyObject *py_kupyna_final(PyObject *self, PyObject *args) {
    PyObject *hobj;
    uint64_t h[16], p[16];
    int cols;
    if (!PyArg_ParseTuple(args, "O", &hobj)) return NULL;
    if (kupyna_state(hobj, h, &cols) < 0) return NULL;
    memcpy(p, h, sizeof(uint64_t) * (size_t)cols);
    kupyna_txor(p, cols);
    for (int j = 0; j < cols; j++) p[j] ^= h[j];
    return state_bytes(p, cols);
}

/* ------------------------------------------------------------------------------------------ */
/* GF(2^m), polynomial basis, and DSTU 4145 scalar multiplication                               */
/* ------------------------------------------------------------------------------------------ */

#define FW 8 /* words per element: m <= 509 */

typedef struct {
    int m, n;      /* degree, words per element */
    int ks[3], nk; /* middle terms of the reduction polynomial */
    int a;         /* curve coefficient a (0 or 1) */
    int pclmul;
} field;

typedef uint64_t fe[FW];

static void clmul_soft(uint64_t a, uint64_t b, uint64_t *lo, uint64_t *hi) {
    /* 4-bit windows; the top bits of a are handled by the correction below. */
    uint64_t tab[16];
    uint64_t a0 = a & 0x0FFFFFFFFFFFFFFFULL;
    tab[0] = 0;
    for (int i = 1; i < 16; i++) tab[i] = (i & 1) ? tab[i - 1] ^ a0 : tab[i >> 1] << 1;
    uint64_t l = 0, h = 0;
    for (int i = 60; i >= 0; i -= 4) {
        h = (h << 4) | (l >> 60);
        l = (l << 4) ^ tab[(b >> i) & 15];
    }
    for (int bit = 60; bit < 64; bit++) {
        if ((a >> bit) & 1) {
            l ^= b << bit;
            h ^= b >> (64 - bit);
        }
    }
    *lo = l;
    *hi = h;
}

#if HAVE_X86
__attribute__((target("pclmul,sse2"))) static void clmul_hw(uint64_t a, uint64_t b, uint64_t *lo,
                                                             uint64_t *hi) {
    __m128i x = _mm_set_epi64x(0, (long long)a), y = _mm_set_epi64x(0, (long long)b);
    __m128i r = _mm_clmulepi64_si128(x, y, 0x00);
    *lo = (uint64_t)_mm_cvtsi128_si64(r);
    *hi = (uint64_t)_mm_cvtsi128_si64(_mm_srli_si128(r, 8));
}
#endif

static inline void clmul(const field *f, uint64_t a, uint64_t b, uint64_t *lo, uint64_t *hi) {
#if HAVE_X86
    if (f->pclmul) {
        clmul_hw(a, b, lo, hi);
        return;
    }
#endif
    clmul_soft(a, b, lo, hi);
}

/* XOR t shifted left by `pos` bits into the 2n-word array c. */
static inline void xor_at(uint64_t *c, uint64_t t, int pos) {
    int w = pos >> 6, b = pos & 63;
    c[w] ^= t << b;
    if (b) c[w + 1] ^= t >> (64 - b);
}

/* Reduce a product of 2n words modulo x^m + x^k... + 1. Folding one word at a time from the top:
 * the bits of word i stand for x^(64i + j); x^m = sum of x^k over the middle terms and 1. The
 * Python side guarantees the middle terms are below m/2, so each fold lands strictly lower. */
static void fe_reduce(const field *f, uint64_t *c, uint64_t *out) {
    int m = f->m;
    for (int i = 2 * f->n - 1; i >= 0; i--) {
        int lowbit = 64 * i;
        if (lowbit + 63 < m) break;
        uint64_t t;
        int pos;
        if (lowbit >= m) {
            t = c[i];
            c[i] = 0;
            pos = lowbit - m;
        } else {
            int b = m - lowbit; /* bits of word i at or above m */
            t = c[i] >> b;
            c[i] &= (b == 64) ? ~0ULL : ((1ULL << b) - 1);
            pos = 0;
            if (!t) continue;
            xor_at(c, t, 0);
            for (int k = 0; k < f->nk; k++) xor_at(c, t, f->ks[k]);
            continue;
        }
        if (!t) continue;
        xor_at(c, t, pos);
        for (int k = 0; k < f->nk; k++) xor_at(c, t, pos + f->ks[k]);
    }
    memcpy(out, c, sizeof(uint64_t) * (size_t)f->n);
}

static void fe_mul(const field *f, fe out, const fe a, const fe b) {
    uint64_t c[2 * FW + 2];
    memset(c, 0, sizeof c);
    int n = f->n;
    for (int i = 0; i < n; i++) {
        if (!a[i]) continue;
        for (int j = 0; j < n; j++) {
            uint64_t lo, hi;
            clmul(f, a[i], b[j], &lo, &hi);
            c[i + j] ^= lo;
            c[i + j + 1] ^= hi;
        }
    }
    fe_reduce(f, c, out);
}

static void fe_sqr(const field *f, fe out, const fe a) {
    uint64_t c[2 * FW + 2];
    memset(c, 0, sizeof c);
    for (int i = 0; i < f->n; i++) clmul(f, a[i], a[i], &c[2 * i], &c[2 * i + 1]);
    fe_reduce(f, c, out);
}

static inline int fe_zero(const field *f, const fe a) {
    for (int i = 0; i < f->n; i++)
        if (a[i]) return 0;
    return 1;
}

static inline void fe_xor(const field *f, fe out, const fe a, const fe b) {
    for (int i = 0; i < f->n; i++) out[i] = a[i] ^ b[i];
}

static inline void fe_copy(const field *f, fe out, const fe a) {
    memcpy(out, a, sizeof(uint64_t) * (size_t)f->n);
}

static inline void fe_set1(const field *f, fe out) {
    memset(out, 0, sizeof(uint64_t) * (size_t)f->n);
    out[0] = 1;
}

/* a^(2^m - 2) = a^-1 for a != 0 (Fermat), as r = a; repeat m - 2 times r = r^2 a; then r^2. */
static void fe_inv(const field *f, fe out, const fe a) {
    fe r;
    fe_copy(f, r, a);
    for (int i = 0; i < f->m - 2; i++) {
        fe_sqr(f, r, r);
        fe_mul(f, r, r, a);
    }
    fe_sqr(f, out, r);
}

/* Lopez-Dahab point (X, Y, Z) with x = X/Z, y = Y/Z^2; Z = 0 is infinity. */
typedef struct {
    fe x, y, z;
} ldp;

static void ld_dbl(const field *f, ldp *r, const ldp *p) {
    if (fe_zero(f, p->z)) {
        *r = *p;
        return;
    }
    fe aa, bb, cc, dd, z3, x3, t1, t2;
    fe_mul(f, aa, p->x, p->z);
    fe_sqr(f, bb, p->x);
    fe_xor(f, cc, bb, p->y);
    fe_mul(f, dd, aa, cc);
    fe_sqr(f, z3, aa);
    fe_sqr(f, x3, cc);
    fe_xor(f, x3, x3, dd);
    if (f->a) fe_xor(f, x3, x3, z3);
    fe_xor(f, t1, z3, dd);
    fe_mul(f, t1, t1, x3);
    fe_sqr(f, t2, bb);
    fe_mul(f, t2, t2, z3);
    fe_xor(f, r->y, t1, t2);
    fe_copy(f, r->x, x3);
    fe_copy(f, r->z, z3);
}

/* p (Lopez-Dahab) + (x2, y2) (affine, not infinity). */
static void ld_madd(const field *f, ldp *r, const ldp *p, const fe x2, const fe y2) {
    if (fe_zero(f, p->z)) {
        fe_copy(f, r->x, x2);
        fe_copy(f, r->y, y2);
        fe_set1(f, r->z);
        return;
    }
    fe zs, aa, bb, c, d, z3, e, x3, ff, g, t;
    fe_sqr(f, zs, p->z);
    fe_mul(f, aa, y2, zs);
    fe_xor(f, aa, aa, p->y);
    fe_mul(f, bb, x2, p->z);
    fe_xor(f, bb, bb, p->x);
    if (fe_zero(f, bb)) {
        if (fe_zero(f, aa)) {
            ldp q;
            fe_copy(f, q.x, x2);
            fe_copy(f, q.y, y2);
            fe_set1(f, q.z);
            ld_dbl(f, r, &q);
        } else {
            memset(r, 0, sizeof *r);
        }
        return;
    }
    fe_mul(f, c, p->z, bb);
    fe_sqr(f, t, bb);
    if (f->a) {
        fe tmp;
        fe_xor(f, tmp, c, zs);
        fe_mul(f, d, t, tmp);
    } else {
        fe_mul(f, d, t, c);
    }
    fe_sqr(f, z3, c);
    fe_mul(f, e, aa, c);
    fe_sqr(f, x3, aa);
    fe_xor(f, x3, x3, d);
    fe_xor(f, x3, x3, e);
    fe_mul(f, ff, x2, z3);
    fe_xor(f, ff, ff, x3);
    fe_xor(f, t, x2, y2);
    fe sz;
    fe_sqr(f, sz, z3);
    fe_mul(f, g, t, sz);
    fe_xor(f, t, e, z3);
    fe_mul(f, t, t, ff);
    fe_xor(f, r->y, t, g);
    fe_copy(f, r->x, x3);
    fe_copy(f, r->z, z3);
}

/* Ints cross the boundary through int.to_bytes / int.from_bytes (public API only, so the same
 * source builds on every CPython the project supports); a handful of calls per verification. */
static int long_to_le(PyObject *obj, uint8_t *buf, size_t len) {
    if (!PyLong_Check(obj)) {
        PyErr_SetString(PyExc_TypeError, "an int is expected");
        return -1;
    }
    PyObject *bytes = PyObject_CallMethod(obj, "to_bytes", "ns", (Py_ssize_t)len, "little");
    if (!bytes) {
        if (PyErr_ExceptionMatches(PyExc_OverflowError)) {
            PyErr_Clear();
            PyErr_SetString(PyExc_ValueError, "value out of range");
        }
        return -1;
    }
    memcpy(buf, PyBytes_AS_STRING(bytes), len);
    Py_DECREF(bytes);
    return 0;
}

static int fe_from_long(const field *f, PyObject *obj, fe out) {
    uint8_t buf[FW * 8];
    memset(out, 0, sizeof(fe));
    if (long_to_le(obj, buf, (size_t)f->n * 8) < 0) return -1;
    for (int i = 0; i < f->n; i++) out[i] = load64(buf + 8 * i);
    if (f->m % 64 && (out[f->n - 1] >> (f->m % 64))) {
        PyErr_SetString(PyExc_ValueError, "field element out of range");
        return -1;
    }
    return 0;
}

static PyObject *fe_to_long(const field *f, const fe a) {
    uint8_t buf[FW * 8];
    for (int i = 0; i < f->n; i++) store64(buf + 8 * i, a[i]);
    return PyObject_CallMethod((PyObject *)&PyLong_Type, "from_bytes", "y#s", (const char *)buf,
                               (Py_ssize_t)f->n * 8, "little");
}

static int scalar_bits(PyObject *obj, uint8_t *bits, int max) {
    return long_to_le(obj, bits, (size_t)max);
}

static int force_portable = 0; /* tests exercise the portable carry-less multiply too */

static int has_pclmul(void) {
    if (force_portable) return 0;
#if HAVE_X86 && (defined(__GNUC__) || defined(__clang__))
    __builtin_cpu_init();
    return __builtin_cpu_supports("pclmul");
#else
    return 0;
#endif
}

static int field_parse(field *f, int m, PyObject *ks, int a) {
    memset(f, 0, sizeof *f);
    if (m < 3 || m > 64 * FW - 1) {
        PyErr_SetString(PyExc_ValueError, "field degree out of range");
        return -1;
    }
    f->m = m;
    f->n = (m + 63) / 64;
    f->a = a ? 1 : 0;
    PyObject *seq = PySequence_Fast(ks, "ks must be a sequence");
    if (!seq) return -1;
    Py_ssize_t len = PySequence_Fast_GET_SIZE(seq);
    if (len != 1 && len != 3) {
        Py_DECREF(seq);
        PyErr_SetString(PyExc_ValueError, "a trinomial or a pentanomial is expected");
        return -1;
    }
    for (Py_ssize_t i = 0; i < len; i++) {
        long k = PyLong_AsLong(PySequence_Fast_GET_ITEM(seq, i));
        if (k == -1 && PyErr_Occurred()) {
            Py_DECREF(seq);
            return -1;
        }
        if (k <= 0 || 2 * k > m || k > m - 64) {
            Py_DECREF(seq);
            PyErr_SetString(PyExc_ValueError, "reduction term out of range");
            return -1;
        }
        f->ks[i] = (int)k;
    }
    f->nk = (int)len;
    Py_DECREF(seq);
    f->pclmul = has_pclmul();
    return 0;
}

/* dstu_mul2(m, ks, a, x1, y1, k1, x2, y2, k2) -> (x, y) affine of k1*P1 + k2*P2, or None for
 * infinity. P1 and P2 are affine curve points (not infinity) already validated by the caller;
 * k2 may be 0 (then P2 is ignored). Shamir's trick over one doubling chain in Lopez-Dahab
 * coordinates, with P1 + P2 precomputed; one inversion at the end. */
static PyObject *py_dstu_mul2(PyObject *self, PyObject *args) {
    int m, a;
    PyObject *ks, *x1o, *y1o, *k1o, *x2o, *y2o, *k2o;
    if (!PyArg_ParseTuple(args, "iOiOOOOOO", &m, &ks, &a, &x1o, &y1o, &k1o, &x2o, &y2o, &k2o))
        return NULL;
    field f;
    if (field_parse(&f, m, ks, a) < 0) return NULL;
    fe x1, y1, x2, y2;
    if (fe_from_long(&f, x1o, x1) < 0 || fe_from_long(&f, y1o, y1) < 0 ||
        fe_from_long(&f, x2o, x2) < 0 || fe_from_long(&f, y2o, y2) < 0)
        return NULL;
    uint8_t k1[FW * 8 + 8], k2[FW * 8 + 8];
    memset(k1, 0, sizeof k1);
    memset(k2, 0, sizeof k2);
    if (scalar_bits(k1o, k1, (int)sizeof k1) < 0 || scalar_bits(k2o, k2, (int)sizeof k2) < 0)
        return NULL;
    int use2 = 0;
    for (size_t i = 0; i < sizeof k2; i++)
        if (k2[i]) use2 = 1;

    int infinity = 0;
    fe rx, ry;
    Py_BEGIN_ALLOW_THREADS
    /* P1 + P2 in affine, for the steps where both bits are set. */
    ldp sum;
    int sum_inf = 1;
    fe sx, sy;
    if (use2) {
        ldp p1;
        fe_copy(&f, p1.x, x1);
        fe_copy(&f, p1.y, y1);
        fe_set1(&f, p1.z);
        ld_madd(&f, &sum, &p1, x2, y2);
        if (!fe_zero(&f, sum.z)) {
            fe zi, zi2;
            fe_inv(&f, zi, sum.z);
            fe_mul(&f, sx, sum.x, zi);
            fe_sqr(&f, zi2, zi);
            fe_mul(&f, sy, sum.y, zi2);
            sum_inf = 0;
        }
    }
    ldp acc;
    memset(&acc, 0, sizeof acc);
    int nbits = (int)sizeof k1 * 8;
    for (int bit = nbits - 1; bit >= 0; bit--) {
        int b1 = (k1[bit >> 3] >> (bit & 7)) & 1;
        int b2 = use2 ? (k2[bit >> 3] >> (bit & 7)) & 1 : 0;
        ld_dbl(&f, &acc, &acc);
        if (b1 && b2) {
            if (!sum_inf) ld_madd(&f, &acc, &acc, sx, sy);
        } else if (b1) {
            ld_madd(&f, &acc, &acc, x1, y1);
        } else if (b2) {
            ld_madd(&f, &acc, &acc, x2, y2);
        }
    }
    if (fe_zero(&f, acc.z)) {
        infinity = 1;
    } else {
        fe zi, zi2;
        fe_inv(&f, zi, acc.z);
        fe_mul(&f, rx, acc.x, zi);
        fe_sqr(&f, zi2, zi);
        fe_mul(&f, ry, acc.y, zi2);
    }
    Py_END_ALLOW_THREADS
    if (infinity) Py_RETURN_NONE;
    PyObject *px = fe_to_long(&f, rx), *py = fe_to_long(&f, ry);
    if (!px || !py) {
        Py_XDECREF(px);
        Py_XDECREF(py);
        return NULL;
    }
    PyObject *out = PyTuple_Pack(2, px, py);
    Py_DECREF(px);
    Py_DECREF(py);
    return out;
}

/* gf2m_mul(m, ks, a, b) -> a*b mod the field polynomial (for the property tests). */
static PyObject *py_gf2m_mul(PyObject *self, PyObject *args) {
    int m;
    PyObject *ks, *ao, *bo;
    if (!PyArg_ParseTuple(args, "iOOO", &m, &ks, &ao, &bo)) return NULL;
    field f;
    if (field_parse(&f, m, ks, 0) < 0) return NULL;
    fe a, b, r;
    if (fe_from_long(&f, ao, a) < 0 || fe_from_long(&f, bo, b) < 0) return NULL;
    fe_mul(&f, r, a, b);
    return fe_to_long(&f, r);
}

/* gf2m_inv(m, ks, a) -> a^-1 (a != 0). */
static PyObject *py_gf2m_inv(PyObject *self, PyObject *args) {
    int m;
    PyObject *ks, *ao;
    if (!PyArg_ParseTuple(args, "iOO", &m, &ks, &ao)) return NULL;
    field f;
    if (field_parse(&f, m, ks, 0) < 0) return NULL;
    fe a, r;
    if (fe_from_long(&f, ao, a) < 0) return NULL;
    if (fe_zero(&f, a)) {
        PyErr_SetString(PyExc_ZeroDivisionError, "inverse of zero");
        return NULL;
    }
    fe_inv(&f, r, a);
    return fe_to_long(&f, r);
}

/* _force_portable(flag: bool): use the portable carry-less multiply even where PCLMULQDQ exists
 * (for the tests, so that the code other CPUs run is checked here as well). */
static PyObject *py_force_portable(PyObject *self, PyObject *args) {
    int flag;
    if (!PyArg_ParseTuple(args, "p", &flag)) return NULL;
    force_portable = flag;
    Py_RETURN_NONE;
}

static PyObject *py_features(PyObject *self, PyObject *noargs) {
    return Py_BuildValue("{s:O}", "pclmul", has_pclmul() ? Py_True : Py_False);
}

static PyMethodDef methods[] = {
    {"gost34311_compress", py_gost34311_compress, METH_VARARGS, "GOST 34.311 over whole blocks"},
    {"gost34311_step", py_gost34311_step, METH_VARARGS, "one GOST 34.311 step"},
    {"kupyna_init", py_kupyna_init, METH_VARARGS, "load the Kupyna S-boxes"},
    {"kupyna_compress", py_kupyna_compress, METH_VARARGS, "Kupyna over whole blocks"},
    {"kupyna_final", py_kupyna_final, METH_VARARGS, "Kupyna output transformation"},
    {"dstu_mul2", py_dstu_mul2, METH_VARARGS, "k1*P1 + k2*P2 on a binary curve"},
    {"gf2m_mul", py_gf2m_mul, METH_VARARGS, "GF(2^m) multiplication"},
    {"gf2m_inv", py_gf2m_inv, METH_VARARGS, "GF(2^m) inversion"},
    {"features", py_features, METH_NOARGS, "CPU features in use"},
    {"_force_portable", py_force_portable, METH_VARARGS, "tests: portable clmul only"},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "verify._native",
                                    "Compute kernels for GOST 34.311, Kupyna and DSTU 4145.", -1,
                                    methods};

PyMODINIT_FUNC PyInit__native(void) { return PyModule_Create(&module); }
