/* The hash chain's links for a batch of events, in C: domain/audit/chain.py's ``links`` and
 * chain_blocks.py's ``pack`` in one pass, with the same bytes.
 *
 * In the Python version most of a link's cost is hashlib's call overhead on a short message,
 * not the hashing; here it is the hashing alone. The hashing runs without the interpreter lock,
 * so the writer's other thread keeps reading batches; meanwhile this call holds every item of the
 * columns (copied to tuples of its own: a topic's UTF-8 stays put whatever the caller's lists do)
 * and each state through the buffer protocol, and writes only into the body it allocated, within
 * its size.
 *
 * link_block(previous, ids, originators, versions, topics, states) -> (body, last_hash)
 *   previous     the hash before the first event (32 bytes)
 *   ids          notification ids, in order (ints, 0 <= id < 2**63)
 *   originators  16 bytes each, or their 32 hex digits as str
 *   versions     ints, 0 <= version < 2**63
 *   topics       str each
 *   states       bytes-like each
 *   body         the block: per event id (8, big-endian) || originator (16) || version (8) || hash (32)
 *   last_hash    the last event's hash (``previous`` when there are no events)
 *
 * h_n = SHA-256(h_{n-1} || id (8) || originator (16) || version (8) || len(topic) (2) || topic ||
 *               len(state) (4) || state), all big-endian (the canonical encoding in chain.py).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "chain_link.h"

typedef struct {
    uint64_t id;
    uint64_t version;
    unsigned char originator[16];
    const char *topic;
    Py_ssize_t topic_length;
    Py_buffer state;
} Entry;

static int read_u63(PyObject *item, const char *what, Py_ssize_t index, uint64_t *out) {
    long long value = PyLong_AsLongLong(item);
    if (value == -1 && PyErr_Occurred()) return -1;
    if (value < 0) {
        PyErr_Format(PyExc_ValueError, "%s %zd is negative", what, index);
        return -1;
    }
    *out = (uint64_t)value;
    return 0;
}

static int read_originator(PyObject *item, Py_ssize_t index, unsigned char *out) {
    if (PyBytes_Check(item)) {
        if (PyBytes_GET_SIZE(item) != 16) {
            PyErr_Format(PyExc_ValueError, "originator %zd is not 16 bytes", index);
            return -1;
        }
        memcpy(out, PyBytes_AS_STRING(item), 16);
        return 0;
    }
    if (PyUnicode_Check(item)) {
        Py_ssize_t length;
        const char *text = PyUnicode_AsUTF8AndSize(item, &length);
        if (text == NULL) return -1;
        if (parse_originator_hex(text, (size_t)length, out) == 0) return 0;
        PyErr_Format(PyExc_ValueError, "originator %zd is not 32 hex digits", index);
        return -1;
    }
    PyErr_Format(PyExc_TypeError, "originator %zd must be bytes or str", index);
    return -1;
}

static void release(Entry *entries, Py_ssize_t count) {
    for (Py_ssize_t i = 0; i < count; i++) PyBuffer_Release(&entries[i].state);
    PyMem_Free(entries);
}

static PyObject *link_block(PyObject *module, PyObject *args) {
    Py_buffer previous;
    PyObject *ids, *originators, *versions, *topics, *states;
    if (!PyArg_ParseTuple(args, "y*OOOOO", &previous, &ids, &originators, &versions, &topics, &states))
        return NULL;
    PyObject *result = NULL, *body = NULL, *last = NULL;
    PyObject *fast[5] = {NULL, NULL, NULL, NULL, NULL};
    Entry *entries = NULL;
    EVP_MD_CTX *context = NULL;
    Py_ssize_t filled = 0, count = 0;
    if (previous.len != 32) {
        PyErr_SetString(PyExc_ValueError, "previous must be a 32-byte hash");
        goto done;
    }
    /* Each column as a tuple of its own: its items stay alive and in place until the end, whatever
     * the caller's lists do meanwhile (an item's __index__ may run Python; other threads run while
     * the links are hashed), so the topics' UTF-8 and the entries read from them stay valid. */
    PyObject *columns[5] = {ids, originators, versions, topics, states};
    for (int c = 0; c < 5; c++) {
        fast[c] = PySequence_Tuple(columns[c]);
        if (fast[c] == NULL) goto done;
    }
    count = PySequence_Fast_GET_SIZE(fast[0]);
    for (int c = 1; c < 5; c++) {
        if (PySequence_Fast_GET_SIZE(fast[c]) != count) {
            PyErr_SetString(PyExc_ValueError, "link_block's columns differ in length");
            goto done;
        }
    }
    entries = PyMem_Calloc(count ? count : 1, sizeof(Entry));
    if (entries == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    PyObject **id_items = PySequence_Fast_ITEMS(fast[0]), **originator_items = PySequence_Fast_ITEMS(fast[1]);
    PyObject **version_items = PySequence_Fast_ITEMS(fast[2]), **topic_items = PySequence_Fast_ITEMS(fast[3]);
    PyObject **state_items = PySequence_Fast_ITEMS(fast[4]);
    for (Py_ssize_t i = 0; i < count; i++) {
        Entry *entry = &entries[i];
        if (read_u63(id_items[i], "notification id of event", i, &entry->id) < 0) goto done;
        if (read_originator(originator_items[i], i, entry->originator) < 0) goto done;
        if (read_u63(version_items[i], "version of event", i, &entry->version) < 0) goto done;
        if (!PyUnicode_Check(topic_items[i])) {
            PyErr_Format(PyExc_TypeError, "topic %zd must be str", i);
            goto done;
        }
        entry->topic = PyUnicode_AsUTF8AndSize(topic_items[i], &entry->topic_length);
        if (entry->topic == NULL) goto done;
        if (entry->topic_length > 0xFFFF) {
            PyErr_Format(PyExc_ValueError, "topic %zd is longer than 65535 bytes", i);
            goto done;
        }
        if (PyObject_GetBuffer(state_items[i], &entry->state, PyBUF_SIMPLE) < 0) goto done;
        filled = i + 1;
        if (entry->state.len > 0xFFFFFFFFLL) {
            PyErr_Format(PyExc_ValueError, "state %zd is 4 GiB or more", i);
            goto done;
        }
    }
    Py_ssize_t size;
    if (__builtin_mul_overflow(count, (Py_ssize_t)LINK_SIZE, &size)) {
        PyErr_SetString(PyExc_OverflowError, "link_block: too many events for one block");
        goto done;
    }
    body = PyBytes_FromStringAndSize(NULL, size);
    context = EVP_MD_CTX_new();
    if (body == NULL || context == NULL) {
        if (context == NULL) PyErr_NoMemory();
        goto done;
    }
    unsigned char *out = (unsigned char *)PyBytes_AS_STRING(body);
    unsigned char head[32];
    memcpy(head, previous.buf, 32);
    int failed = 0;
    Py_BEGIN_ALLOW_THREADS
    Py_ssize_t at = 0; /* the next link's offset in the body: at + LINK_SIZE <= size for each */
    for (Py_ssize_t i = 0; i < count && !failed; i++, at += LINK_SIZE) {
        const Entry *entry = &entries[i];
        failed = size - at < LINK_SIZE ||
                 chain_link(context, head, entry->id, entry->originator, entry->version, entry->topic,
                            (size_t)entry->topic_length, entry->state.buf, (size_t)entry->state.len, out + at) < 0;
    }
    Py_END_ALLOW_THREADS
    if (failed) {
        PyErr_SetString(PyExc_RuntimeError, "link_block: OpenSSL's SHA-256 failed");
        goto done;
    }
    last = PyBytes_FromStringAndSize((const char *)head, 32);
    if (last == NULL) goto done;
    result = PyTuple_Pack(2, body, last);
done:
    if (entries != NULL) release(entries, filled);
    EVP_MD_CTX_free(context);
    for (int c = 0; c < 5; c++) Py_XDECREF(fast[c]);
    Py_XDECREF(body);
    Py_XDECREF(last);
    PyBuffer_Release(&previous);
    return result;
}

static PyMethodDef methods[] = {
    {"link_block", link_block, METH_VARARGS,
     "link_block(previous, ids, originators, versions, topics, states) -> (body, last_hash)"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef chain_module = {
    PyModuleDef_HEAD_INIT, "_chain", "The hash chain's links for a batch, in C.", -1, methods,
};

PyMODINIT_FUNC PyInit__chain(void) {
    if (chain_sha256_fetch() < 0) {
        PyErr_SetString(PyExc_ImportError, "_chain: OpenSSL has no SHA-256 here");
        return NULL;
    }
    return PyModule_Create(&chain_module);
}
