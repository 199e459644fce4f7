/* A page of stored bars as close columns, in C, straight from their bytes: each bar's ts_event,
 * and its close as the coefficient and exponent of its Decimal (domain/market/columns.py), without
 * decoding the bar or making a Decimal.
 *
 * close_columns(states, symbol) -> (ts, coefficients, exponents) | None
 *   states        the bars' stored bytes (the codec's msgpack maps: field name -> value)
 *   ts            int64 each (native byte order), coefficients int64 each, exponents int8 each
 *   None          when any state is not a plain bar of ``symbol`` whose close this reads exactly:
 *                 compressed, not a map, a field missing or of another type, another symbol, a
 *                 close that is not [-]digits[.digits][E[+-]digits] (the codec writes str(Decimal)),
 *                 a negative zero, a coefficient of 2**63 or more, an exponent outside int8. The
 *                 caller then decodes the page the ordinary way.
 * Decimal(coefficient).scaleb(exponent) is the Decimal the codec would decode (its digits and
 * exponent alike): tests/unit/test_bar_columns.py checks it against the codec.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

typedef struct {
    const unsigned char *at;
    const unsigned char *end;
} Cursor;

static int need(Cursor *c, Py_ssize_t n) { return c->end - c->at >= n; }

static uint64_t big_endian(const unsigned char *p, int n) {
    uint64_t value = 0;
    for (int i = 0; i < n; i++) value = (value << 8) | p[i];
    return value;
}

/* A str's bytes; 0, or -1 when the next value is not a str. */
static int read_str(Cursor *c, const unsigned char **text, Py_ssize_t *length) {
    if (!need(c, 1)) return -1;
    unsigned char b = *c->at;
    Py_ssize_t size, header;
    if (b >= 0xa0 && b <= 0xbf) size = b & 0x1f, header = 1;
    else if (b == 0xd9 && need(c, 2)) size = c->at[1], header = 2;
    else if (b == 0xda && need(c, 3)) size = (Py_ssize_t)big_endian(c->at + 1, 2), header = 3;
    else if (b == 0xdb && need(c, 5)) size = (Py_ssize_t)big_endian(c->at + 1, 4), header = 5;
    else return -1;
    if (!need(c, header + size)) return -1;
    *text = c->at + header;
    *length = size;
    c->at += header + size;
    return 0;
}

/* An integer that fits int64; 0, or -1. */
static int read_int(Cursor *c, int64_t *out) {
    if (!need(c, 1)) return -1;
    unsigned char b = *c->at;
    if (b <= 0x7f) *out = b, c->at += 1;
    else if (b >= 0xe0) *out = (int8_t)b, c->at += 1;
    else if (b >= 0xcc && b <= 0xcf) {
        int n = 1 << (b - 0xcc);
        if (!need(c, 1 + n)) return -1;
        uint64_t value = big_endian(c->at + 1, n);
        if (value > INT64_MAX) return -1;
        *out = (int64_t)value, c->at += 1 + n;
    } else if (b >= 0xd0 && b <= 0xd3) {
        int n = 1 << (b - 0xd0);
        if (!need(c, 1 + n)) return -1;
        uint64_t value = big_endian(c->at + 1, n);
        int shift = 64 - 8 * n;
        *out = shift ? ((int64_t)(value << shift)) >> shift : (int64_t)value; /* sign-extend */
        c->at += 1 + n;
    } else return -1;
    return 0;
}

static int skip(Cursor *c, int depth);

static int skip_items(Cursor *c, uint64_t items, int depth) {
    for (uint64_t i = 0; i < items; i++)
        if (skip(c, depth + 1) < 0) return -1;
    return 0;
}

/* Step over one value of any type; 0, or -1 on bytes that are not msgpack (or nest too deep). */
static int skip(Cursor *c, int depth) {
    if (depth > 32 || !need(c, 1)) return -1;
    unsigned char b = *c->at;
    uint64_t size;
    if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3) return c->at += 1, 0;
    if (b >= 0x80 && b <= 0x8f) return c->at += 1, skip_items(c, 2u * (b & 0x0f), depth);
    if (b >= 0x90 && b <= 0x9f) return c->at += 1, skip_items(c, b & 0x0f, depth);
    if (b >= 0xa0 && b <= 0xbf) size = b & 0x1f, c->at += 1;
    else if (b >= 0xcc && b <= 0xd3) size = 1u << ((b - 0xcc) & 3), c->at += 1;
    else if (b == 0xca) size = 4, c->at += 1;
    else if (b == 0xcb) size = 8, c->at += 1;
    else if (b >= 0xd4 && b <= 0xd8) size = 1 + (1u << (b - 0xd4)), c->at += 1;
    else if (b == 0xc4 || b == 0xd9 || b == 0xc7) {
        if (!need(c, 2)) return -1;
        size = c->at[1] + (b == 0xc7), c->at += 2;
    } else if (b == 0xc5 || b == 0xda || b == 0xc8) {
        if (!need(c, 3)) return -1;
        size = big_endian(c->at + 1, 2) + (b == 0xc8), c->at += 3;
    } else if (b == 0xc6 || b == 0xdb || b == 0xc9) {
        if (!need(c, 5)) return -1;
        size = big_endian(c->at + 1, 4) + (b == 0xc9), c->at += 5;
    } else if (b == 0xdc || b == 0xde) {
        if (!need(c, 3)) return -1;
        size = big_endian(c->at + 1, 2), c->at += 3;
        return skip_items(c, b == 0xde ? 2 * size : size, depth);
    } else if (b == 0xdd || b == 0xdf) {
        if (!need(c, 5)) return -1;
        size = big_endian(c->at + 1, 4), c->at += 5;
        return skip_items(c, b == 0xdf ? 2 * size : size, depth);
    } else return -1; /* 0xc1: never used by msgpack (a compressed state starts with it) */
    if ((uint64_t)(c->end - c->at) < size) return -1;
    c->at += size;
    return 0;
}

/* str(Decimal) of a finite number as (coefficient, exponent); 0, or -1 for anything else. */
static int parse_decimal(const unsigned char *text, Py_ssize_t length, int64_t *coefficient, int *exponent) {
    Py_ssize_t i = 0;
    int negative = 0;
    if (i < length && text[i] == '-') negative = 1, i++;
    int64_t value = 0;
    Py_ssize_t digits = 0, fraction = 0;
    for (; i < length && text[i] >= '0' && text[i] <= '9'; i++, digits++) {
        if (value > (INT64_MAX - 9) / 10) return -1;
        value = value * 10 + (text[i] - '0');
    }
    if (digits == 0) return -1;
    if (i < length && text[i] == '.') {
        i++;
        for (; i < length && text[i] >= '0' && text[i] <= '9'; i++, fraction++) {
            if (value > (INT64_MAX - 9) / 10) return -1;
            value = value * 10 + (text[i] - '0');
        }
        if (fraction == 0) return -1;
    }
    long power = 0;
    if (i < length && (text[i] == 'E' || text[i] == 'e')) {
        i++;
        int minus = 0;
        if (i < length && (text[i] == '+' || text[i] == '-')) minus = text[i] == '-', i++;
        Py_ssize_t start = i;
        for (; i < length && text[i] >= '0' && text[i] <= '9'; i++) {
            if (power > 100000) return -1;
            power = power * 10 + (text[i] - '0');
        }
        if (i == start) return -1;
        if (minus) power = -power;
    }
    if (i != length || (negative && value == 0)) return -1;
    long total = power - (long)fraction;
    if (total < -128 || total > 127) return -1;
    *coefficient = negative ? -value : value;
    *exponent = (int)total;
    return 0;
}

/* One bar's fields; 0, or -1 when the state is not a plain bar of ``symbol`` read exactly. */
static int read_bar(const unsigned char *data, Py_ssize_t size, const char *symbol, Py_ssize_t symbol_length,
                    int64_t *ts, int64_t *coefficient, int8_t *exponent) {
    Cursor c = {data, data + size};
    uint64_t fields;
    if (!need(&c, 1)) return -1;
    unsigned char b = *c.at;
    if (b >= 0x80 && b <= 0x8f) fields = b & 0x0f, c.at += 1;
    else if (b == 0xde && need(&c, 3)) fields = big_endian(c.at + 1, 2), c.at += 3;
    else if (b == 0xdf && need(&c, 5)) fields = big_endian(c.at + 1, 4), c.at += 5;
    else return -1;
    int seen = 0; /* bit 1: ts_event, 2: symbol, 4: close */
    for (uint64_t f = 0; f < fields; f++) {
        const unsigned char *key;
        Py_ssize_t key_length;
        if (read_str(&c, &key, &key_length) < 0) return -1;
        if (key_length == 8 && memcmp(key, "ts_event", 8) == 0) {
            if (read_int(&c, ts) < 0) return -1;
            seen |= 1;
        } else if (key_length == 6 && memcmp(key, "symbol", 6) == 0) {
            const unsigned char *text;
            Py_ssize_t length;
            if (read_str(&c, &text, &length) < 0) return -1;
            if (length != symbol_length || memcmp(text, symbol, (size_t)length) != 0) return -1;
            seen |= 2;
        } else if (key_length == 5 && memcmp(key, "close", 5) == 0) {
            const unsigned char *text;
            Py_ssize_t length;
            int power;
            if (read_str(&c, &text, &length) < 0 || parse_decimal(text, length, coefficient, &power) < 0) return -1;
            *exponent = (int8_t)power;
            seen |= 4;
        } else if (skip(&c, 0) < 0)
            return -1;
    }
    return seen == 7 && c.at == c.end ? 0 : -1;
}

static PyObject *close_columns(PyObject *module, PyObject *args) {
    PyObject *states;
    const char *symbol;
    Py_ssize_t symbol_length;
    if (!PyArg_ParseTuple(args, "O!s#", &PyList_Type, &states, &symbol, &symbol_length)) return NULL;
    Py_ssize_t count = PyList_GET_SIZE(states);
    PyObject *ts = PyBytes_FromStringAndSize(NULL, count * 8);
    PyObject *coefficients = PyBytes_FromStringAndSize(NULL, count * 8);
    PyObject *exponents = PyBytes_FromStringAndSize(NULL, count);
    PyObject *result = NULL;
    if (ts == NULL || coefficients == NULL || exponents == NULL) goto done;
    int64_t *ts_out = (int64_t *)PyBytes_AS_STRING(ts);
    int64_t *coefficient_out = (int64_t *)PyBytes_AS_STRING(coefficients);
    int8_t *exponent_out = (int8_t *)PyBytes_AS_STRING(exponents);
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *state = PyList_GET_ITEM(states, i);
        if (!PyBytes_Check(state) ||
            read_bar((const unsigned char *)PyBytes_AS_STRING(state), PyBytes_GET_SIZE(state), symbol, symbol_length,
                     &ts_out[i], &coefficient_out[i], &exponent_out[i]) < 0) {
            result = Py_NewRef(Py_None);
            goto done;
        }
    }
    result = PyTuple_Pack(3, ts, coefficients, exponents);
done:
    Py_XDECREF(ts);
    Py_XDECREF(coefficients);
    Py_XDECREF(exponents);
    return result;
}

static PyMethodDef methods[] = {
    {"close_columns", close_columns, METH_VARARGS,
     "close_columns(states, symbol) -> (ts, coefficients, exponents) or None (see the module)"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef columns_module = {
    PyModuleDef_HEAD_INIT, "_bar_columns", "A page of stored bars as close columns, in C.", -1, methods,
};

PyMODINIT_FUNC PyInit__bar_columns(void) { return PyModule_Create(&columns_module); }
