/* Stored bars read for a backtest's scans, in C: a page of one topic's rows from a SQLite log
 * packed in one buffer, and a page of bars as columns straight from their bytes (each bar's
 * ts_event and ts_recv, and its close and volume as the coefficient and exponent of their
 * Decimals, see domain/market/columns.py), without a Python object per row, decoding a bar or
 * making a Decimal.
 *
 * StateReader(path).page(topic, after, limit) -> (ids, blob, offsets) | None
 *   the next ``limit`` rows of ``topic`` after rowid ``after`` (SQLiteEventLog.read_states' query,
 *   on a read-only connection of its own): ids int64 each, the states packed in ``blob``, row i's
 *   at blob[offsets[i]:offsets[i + 1]] (offsets int64, one more than the rows); None past the end.
 *   The rows are read without the interpreter lock (the next page while the caller works on this
 *   one); meanwhile the reader is in use (``in_use``), and ``close`` or another ``page`` raise
 *   RuntimeError rather than touch a statement being stepped.
 * sqlite_version(), sqlite_version_number(), SQLITE_HEADER_VERSION_NUMBER: the library this runs
 *   on and the headers it was built with (bar_columns.py uses the reader only where both are
 *   Python's sqlite3's)
 *
 * close_columns(states, symbol)
 *     -> (ts, coefficients, exponents, ts_recv, volume_coefficients, volume_exponents) | None
 * close_columns_packed(blob, offsets, symbol) -> the same, for states packed as ``page`` gives them
 *   states        the bars' stored bytes (the codec's msgpack maps: field name -> value)
 *   ts, ts_recv   int64 each (native byte order); coefficients int64 each, exponents int8 each
 *   None          when any state is not a plain bar of ``symbol`` whose close and volume this
 *                 reads exactly: compressed, not a map, a field missing or of another type,
 *                 another symbol, a number that is not [-]digits[.digits][E[+-]digits] (the
 *                 codec writes str(Decimal)), a negative zero, a coefficient of 2**63 or more,
 *                 an exponent outside int8. The caller then decodes the page the ordinary way.
 * Decimal(coefficient).scaleb(exponent) is the Decimal the codec would decode (its digits and
 * exponent alike): tests/unit/test_bar_columns.py checks it against the codec, and the Python
 * reader (infrastructure/store/bar_columns.py) gives the same bytes.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <sqlite3.h>
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
        if (value > (INT64_MAX - (text[i] - '0')) / 10) return -1; /* value * 10 + digit <= INT64_MAX */
        value = value * 10 + (text[i] - '0');
    }
    if (digits == 0) return -1;
    if (i < length && text[i] == '.') {
        i++;
        for (; i < length && text[i] >= '0' && text[i] <= '9'; i++, fraction++) {
            if (value > (INT64_MAX - (text[i] - '0')) / 10) return -1;
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

/* A bar's fields that the columns hold. */
typedef struct {
    int64_t ts, ts_recv, coefficient, volume_coefficient;
    int8_t exponent, volume_exponent;
} BarFields;

/* A number's text as (coefficient, exponent) within int64 and int8; 0, or -1. */
static int read_number(Cursor *c, int64_t *coefficient, int8_t *exponent) {
    const unsigned char *text;
    Py_ssize_t length;
    int power;
    if (read_str(c, &text, &length) < 0 || parse_decimal(text, length, coefficient, &power) < 0) return -1;
    *exponent = (int8_t)power;
    return 0;
}

#define KEY(name) (key_length == (Py_ssize_t)sizeof(name) - 1 && memcmp(key, name, sizeof(name) - 1) == 0)

/* One bar's fields; 0, or -1 when the state is not a plain bar of ``symbol`` read exactly. */
static int read_bar(const unsigned char *data, Py_ssize_t size, const char *symbol, Py_ssize_t symbol_length,
                    BarFields *bar) {
    Cursor c = {data, data + size};
    uint64_t fields;
    if (!need(&c, 1)) return -1;
    unsigned char b = *c.at;
    if (b >= 0x80 && b <= 0x8f) fields = b & 0x0f, c.at += 1;
    else if (b == 0xde && need(&c, 3)) fields = big_endian(c.at + 1, 2), c.at += 3;
    else if (b == 0xdf && need(&c, 5)) fields = big_endian(c.at + 1, 4), c.at += 5;
    else return -1;
    int seen = 0; /* bit 1: ts_event, 2: symbol, 4: close, 8: ts_recv, 16: volume */
    for (uint64_t f = 0; f < fields; f++) {
        const unsigned char *key;
        Py_ssize_t key_length;
        if (read_str(&c, &key, &key_length) < 0) return -1;
        if (KEY("ts_event")) {
            if (read_int(&c, &bar->ts) < 0) return -1;
            seen |= 1;
        } else if (KEY("symbol")) {
            const unsigned char *text;
            Py_ssize_t length;
            if (read_str(&c, &text, &length) < 0) return -1;
            if (length != symbol_length || memcmp(text, symbol, (size_t)length) != 0) return -1;
            seen |= 2;
        } else if (KEY("close")) {
            if (read_number(&c, &bar->coefficient, &bar->exponent) < 0) return -1;
            seen |= 4;
        } else if (KEY("ts_recv")) {
            if (read_int(&c, &bar->ts_recv) < 0) return -1;
            seen |= 8;
        } else if (KEY("volume")) {
            if (read_number(&c, &bar->volume_coefficient, &bar->volume_exponent) < 0) return -1;
            seen |= 16;
        } else if (skip(&c, 0) < 0)
            return -1;
    }
    return seen == 31 && c.at == c.end ? 0 : -1;
}

/* The columns of ``count`` bars, row i's bytes given by ``row``; None when one is not read exactly. */
typedef int (*RowAt)(void *context, Py_ssize_t index, const unsigned char **data, Py_ssize_t *size);

#define COLUMNS 6 /* ts, coefficients, exponents, ts_recv, volume coefficients, volume exponents */

static PyObject *columns_of(Py_ssize_t count, RowAt row, void *context, const char *symbol,
                            Py_ssize_t symbol_length) {
    static const Py_ssize_t widths[COLUMNS] = {8, 8, 1, 8, 8, 1};
    PyObject *columns[COLUMNS] = {NULL};
    char *out[COLUMNS];
    PyObject *result = NULL;
    Py_ssize_t size;
    if (count < 0 || __builtin_mul_overflow(count, (Py_ssize_t)8, &size)) {
        PyErr_SetString(PyExc_OverflowError, "close_columns: too many rows");
        return NULL;
    }
    for (int k = 0; k < COLUMNS; k++) {
        columns[k] = PyBytes_FromStringAndSize(NULL, count * widths[k]);
        if (columns[k] == NULL) goto done;
        out[k] = PyBytes_AS_STRING(columns[k]);
    }
    for (Py_ssize_t i = 0; i < count; i++) {
        const unsigned char *data;
        Py_ssize_t length;
        BarFields bar;
        if (row(context, i, &data, &length) < 0 || read_bar(data, length, symbol, symbol_length, &bar) < 0) {
            result = Py_NewRef(Py_None);
            goto done;
        }
        /* Row i of a column of width w is bytes [i * w, (i + 1) * w): i < count, within the size. */
        memcpy(out[0] + i * 8, &bar.ts, 8);
        memcpy(out[1] + i * 8, &bar.coefficient, 8);
        out[2][i] = (char)bar.exponent;
        memcpy(out[3] + i * 8, &bar.ts_recv, 8);
        memcpy(out[4] + i * 8, &bar.volume_coefficient, 8);
        out[5][i] = (char)bar.volume_exponent;
    }
    result = PyTuple_Pack(COLUMNS, columns[0], columns[1], columns[2], columns[3], columns[4], columns[5]);
done:
    for (int k = 0; k < COLUMNS; k++) Py_XDECREF(columns[k]);
    return result;
}

static int tuple_row(void *context, Py_ssize_t index, const unsigned char **data, Py_ssize_t *size) {
    PyObject *state = PyTuple_GET_ITEM((PyObject *)context, index);
    if (!PyBytes_Check(state)) return -1;
    *data = (const unsigned char *)PyBytes_AS_STRING(state);
    *size = PyBytes_GET_SIZE(state);
    return 0;
}

typedef struct {
    const unsigned char *blob;
    Py_ssize_t blob_length;
    const unsigned char *offsets; /* int64 each, native order, not necessarily aligned */
} Packed;

static int packed_row(void *context, Py_ssize_t index, const unsigned char **data, Py_ssize_t *size) {
    const Packed *packed = context;
    int64_t start, end;
    memcpy(&start, packed->offsets + 8 * index, 8);
    memcpy(&end, packed->offsets + 8 * (index + 1), 8);
    if (start < 0 || end < start || end > packed->blob_length) return -1;
    *data = packed->blob + start;
    *size = (Py_ssize_t)(end - start);
    return 0;
}

static PyObject *close_columns(PyObject *module, PyObject *args) {
    PyObject *states;
    const char *symbol;
    Py_ssize_t symbol_length;
    if (!PyArg_ParseTuple(args, "O!s#", &PyList_Type, &states, &symbol, &symbol_length)) return NULL;
    /* A tuple of this call's own: the states stay alive and in place whatever the list does. */
    PyObject *held = PyList_AsTuple(states);
    if (held == NULL) return NULL;
    PyObject *result = columns_of(PyTuple_GET_SIZE(held), tuple_row, held, symbol, symbol_length);
    Py_DECREF(held);
    return result;
}

static PyObject *close_columns_packed(PyObject *module, PyObject *args) {
    Py_buffer blob, offsets;
    const char *symbol;
    Py_ssize_t symbol_length;
    if (!PyArg_ParseTuple(args, "y*y*s#", &blob, &offsets, &symbol, &symbol_length)) return NULL;
    PyObject *result = NULL;
    if (offsets.len % 8 != 0 || offsets.len < 8) {
        PyErr_SetString(PyExc_ValueError, "offsets: int64 each, one more than the rows");
    } else {
        /* Row i reads offsets i and i + 1: i + 1 < offsets.len / 8 for i < the count. */
        Packed packed = {blob.buf, blob.len, offsets.buf};
        result = columns_of(offsets.len / 8 - 1, packed_row, &packed, symbol, symbol_length);
    }
    PyBuffer_Release(&blob);
    PyBuffer_Release(&offsets);
    return result;
}

/* StateReader ------------------------------------------------------------------------------- */

typedef struct {
    PyObject_HEAD
    sqlite3 *db;
    sqlite3_stmt *select;
    int busy; /* a page is being read without the interpreter lock */
} StateReader;

typedef struct {
    unsigned char *data;
    size_t length, capacity;
} Buffer;

/* Append ``length`` bytes, growing the buffer (doubling); 0, or -1 out of memory or past its
 * limit (PY_SSIZE_T_MAX: it becomes a bytes object). */
static int grow(Buffer *buffer, const void *data, size_t length) {
    size_t needed;
    if (__builtin_add_overflow(buffer->length, length, &needed) || needed > (size_t)PY_SSIZE_T_MAX) return -1;
    if (needed > buffer->capacity) {
        size_t capacity = buffer->capacity ? buffer->capacity : 4096;
        while (capacity < needed)
            if (__builtin_mul_overflow(capacity, (size_t)2, &capacity)) return -1;
        unsigned char *bigger = PyMem_RawRealloc(buffer->data, capacity);
        if (bigger == NULL) return -1;
        buffer->data = bigger, buffer->capacity = capacity;
    }
    if (length) memcpy(buffer->data + buffer->length, data, length);
    buffer->length = needed;
    return 0;
}

static int reader_check_idle(StateReader *self) {
    if (!self->busy) return 0;
    PyErr_SetString(PyExc_RuntimeError, "the reader is in use by another thread's call");
    return -1;
}

static PyObject *StateReader_page(StateReader *self, PyObject *args) {
    const char *topic;
    Py_ssize_t topic_length;
    long long after, limit;
    if (!PyArg_ParseTuple(args, "s#LL", &topic, &topic_length, &after, &limit)) return NULL;
    if (reader_check_idle(self) < 0) return NULL;
    if (self->db == NULL) {
        PyErr_SetString(PyExc_ValueError, "the reader is closed");
        return NULL;
    }
    if (topic_length > INT_MAX) {
        PyErr_SetString(PyExc_ValueError, "the topic is longer than SQLite takes");
        return NULL;
    }
    sqlite3_stmt *select = self->select;
    /* Bound before the lock is released: SQLite copies the topic (SQLITE_TRANSIENT). */
    if (sqlite3_bind_int64(select, 1, after) != SQLITE_OK ||
        sqlite3_bind_text(select, 2, topic, (int)topic_length, SQLITE_TRANSIENT) != SQLITE_OK ||
        sqlite3_bind_int64(select, 3, limit) != SQLITE_OK) {
        PyErr_Format(PyExc_OSError, "reading %s: %s", topic, sqlite3_errmsg(self->db));
        sqlite3_clear_bindings(select);
        return NULL;
    }
    Buffer ids = {NULL, 0, 0}, blob = {NULL, 0, 0}, offsets = {NULL, 0, 0};
    int rc = SQLITE_OK, failed = 0;
    self->busy = 1;
    Py_BEGIN_ALLOW_THREADS
    int64_t zero = 0;
    failed = grow(&offsets, &zero, 8);
    while (!failed && (rc = sqlite3_step(select)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(select, 0);
        const void *state = sqlite3_column_blob(select, 1);
        int size = sqlite3_column_bytes(select, 1);
        failed = size < 0 || grow(&ids, &id, 8) || grow(&blob, state, (size_t)size);
        int64_t end = (int64_t)blob.length;
        failed = failed || grow(&offsets, &end, 8);
    }
    sqlite3_reset(select);
    sqlite3_clear_bindings(select);
    Py_END_ALLOW_THREADS
    self->busy = 0;
    PyObject *result = NULL;
    if (failed) PyErr_NoMemory();
    else if (rc != SQLITE_DONE) PyErr_Format(PyExc_OSError, "reading %s: %s", topic, sqlite3_errmsg(self->db));
    else if (ids.length == 0) result = Py_NewRef(Py_None);
    else
        result = Py_BuildValue("y#y#y#", (const char *)ids.data, (Py_ssize_t)ids.length,
                               (const char *)(blob.data ? blob.data : (unsigned char *)""), (Py_ssize_t)blob.length,
                               (const char *)offsets.data, (Py_ssize_t)offsets.length);
    PyMem_RawFree(ids.data);
    PyMem_RawFree(blob.data);
    PyMem_RawFree(offsets.data);
    return result;
}

static void reader_close(StateReader *self) {
    sqlite3_finalize(self->select);
    self->select = NULL;
    if (self->db != NULL) sqlite3_close_v2(self->db);
    self->db = NULL;
}

static PyObject *StateReader_close(StateReader *self, PyObject *Py_UNUSED(ignored)) {
    if (reader_check_idle(self) < 0) return NULL;
    reader_close(self);
    Py_RETURN_NONE;
}

static int StateReader_init(StateReader *self, PyObject *args, PyObject *kwargs) {
    static char *keywords[] = {"path", NULL};
    const char *path;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "s", keywords, &path)) return -1;
    if (reader_check_idle(self) < 0) return -1;
    reader_close(self);
    if (sqlite3_open_v2(path, &self->db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(self->db,
                           "SELECT rowid, state FROM stored_events WHERE rowid > ? AND topic = ? ORDER BY rowid "
                           "LIMIT ?",
                           -1, &self->select, NULL) != SQLITE_OK) {
        PyErr_Format(PyExc_OSError, "opening %s: %s", path, self->db ? sqlite3_errmsg(self->db) : "out of memory");
        reader_close(self);
        return -1;
    }
    sqlite3_busy_timeout(self->db, 30000);
    return 0;
}

static void StateReader_dealloc(StateReader *self) {
    /* Never busy here: a page under way holds a reference to the reader. */
    reader_close(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *StateReader_get_in_use(StateReader *self, void *Py_UNUSED(closure)) {
    return PyBool_FromLong(self->busy);
}

static PyMethodDef StateReader_methods[] = {
    {"page", (PyCFunction)StateReader_page, METH_VARARGS, "page(topic, after, limit) -> (ids, blob, offsets) | None"},
    {"close", (PyCFunction)StateReader_close, METH_NOARGS, "close the connection (RuntimeError while in use)"},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef StateReader_getset[] = {
    {"in_use", (getter)StateReader_get_in_use, NULL, "whether a page is being read (close() then raises)", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyTypeObject StateReaderType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "infrastructure.store._bar_columns.StateReader",
    .tp_basicsize = sizeof(StateReader),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "One topic's stored rows read in pages packed in one buffer (see the module).",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)StateReader_init,
    .tp_dealloc = (destructor)StateReader_dealloc,
    .tp_methods = StateReader_methods,
    .tp_getset = StateReader_getset,
};

static PyObject *sqlite_version(PyObject *module, PyObject *Py_UNUSED(ignored)) {
    return PyUnicode_FromString(sqlite3_libversion());
}

static PyObject *sqlite_version_number(PyObject *module, PyObject *Py_UNUSED(ignored)) {
    return PyLong_FromLong(sqlite3_libversion_number());
}

static PyMethodDef methods[] = {
    {"close_columns", close_columns, METH_VARARGS,
     "close_columns(states, symbol) -> (ts, coefficients, exponents, ts_recv, volume_coefficients, "
     "volume_exponents) or None (see the module)"},
    {"close_columns_packed", close_columns_packed, METH_VARARGS,
     "close_columns_packed(blob, offsets, symbol) -> the six columns or None"},
    {"sqlite_version", sqlite_version, METH_NOARGS, "the SQLite library this module runs on"},
    {"sqlite_version_number", sqlite_version_number, METH_NOARGS,
     "the SQLite library this module runs on, as SQLITE_VERSION_NUMBER writes it"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef columns_module = {
    PyModuleDef_HEAD_INIT, "_bar_columns", "A page of stored bars as columns, in C.", -1, methods,
};

PyMODINIT_FUNC PyInit__bar_columns(void) {
    if (PyType_Ready(&StateReaderType) < 0) return NULL;
    PyObject *module = PyModule_Create(&columns_module);
    if (module == NULL) return NULL;
    if (PyModule_AddObjectRef(module, "StateReader", (PyObject *)&StateReaderType) < 0 ||
        PyModule_AddIntConstant(module, "SQLITE_HEADER_VERSION_NUMBER", SQLITE_VERSION_NUMBER) < 0) {
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
