/* A run log's batches inserted and linked in C, on a SQLite connection of this module's own:
 * what sqlite_writer.py's writer does for a batch (sqlite_chain.insert_chained, with the rows it
 * copies from the source log read by source_copies.SourceRows), with the same rows, the same
 * block of links and the same digest of the copied rows, without a Python object per row.
 *
 * In Python, the writer of a new file that it fills alone (a backtest's run log) spends most of
 * its time on the rows' Python objects: fetching each copied bar from the source as a tuple,
 * handing each row to sqlite3's executemany, handing each again to the linker. Here a run of
 * copied rows is one ``INSERT ... SELECT`` from the source, attached read-only: each row goes
 * from the source's page to the insert as SQLite's own values, and is linked and digested on the
 * way by the SQL function ``memesnipe_copy`` (one statement a run rather than a fetch and an
 * insert a row). The whole batch runs without the interpreter lock (the writer's other thread
 * keeps reading the pipe meanwhile); meanwhile the call holds each inline row's str and state
 * objects (its own references, and the states through the buffer protocol), writes links only
 * within the block it sized for the batch, and marks the loader in use: ``close``, ``execute``,
 * ``append`` or ``copied_digest`` from another thread then raise RuntimeError instead of
 * touching a connection in use (opened NOMUTEX: SQLite does not lock it for us).
 *
 * Loader(path, source=None)             open ``path`` (read-write), attach ``source`` (read-only)
 *   .execute(sql)                       run statements on the connection (pragmas, transactions; a
 *                                       pragma for the file names it ``main.``, the source attached)
 *   .append(head, before, originators, versions, topics, states, copies) -> (last, head)
 *       insert one batch into stored_events and its block into stored_chain_blocks, in the
 *       caller's transaction. ``head``: the chain's hash after row ``before`` (the table's
 *       last rowid; every row is linked). Inline rows: the four columns (originator's 32 hex
 *       digits, version, topic, state bytes-like). ``copies``: (position, first source id,
 *       count) runs of source rows, each put before the inline row at ``position`` (positions
 *       in increasing order). Returns the last rowid and the chain's hash after it.
 *   .copied, .copied_digest()           how many source rows were copied, SHA-256 of their states
 *   .in_use                             whether a call is under way (on another thread)
 *   .close()
 * disable_memory_statistics() -> bool   SQLite without its memory statistics' global lock, for a
 *                                       process that has not opened a connection yet (the writer)
 * sqlite_version(), sqlite_version_number(), SQLITE_HEADER_VERSION_NUMBER: the library this runs
 *                                       on and the headers it was built with (bulk_loader.py uses
 *                                       the module only where both are Python's sqlite3's)
 * Errors raise LoadError, or MissingSourceRow for a copy naming a row the source lacks.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <sqlite3.h>

#include "chain_link.h"

static PyObject *LoadError;
static PyObject *MissingSourceRow;

/* A run of source rows being copied: what ``memesnipe_copy`` links and checks each row against. */
typedef struct {
    unsigned char *head;          /* the chain's hash, updated row by row */
    sqlite3_int64 next_id;        /* the run log's id of the next row */
    sqlite3_int64 next_source;    /* the source id the next row must have */
    unsigned char *link;          /* where the next row's link goes */
    unsigned char *link_end;      /* the end of the batch's links: link + LINK_SIZE <= link_end */
    char originator_hex[32];      /* the last originator parsed (a run's bars share one) */
    unsigned char originator[16];
    int parsed;
    int missing;                  /* the source skipped ``next_source`` */
    char message[256];            /* why a row was refused */
} CopyRun;

typedef struct {
    PyObject_HEAD
    sqlite3 *db;
    int has_source;
    sqlite3_stmt *insert;
    sqlite3_stmt *block;
    sqlite3_stmt *copy;
    CopyRun *copying;
    EVP_MD_CTX *link_hash;        /* the links' hashing, initialised again for each */
    EVP_MD_CTX *copied_hash;      /* SHA-256 over the copied rows' states so far */
    long long copied;
    int busy;                     /* a call is under way without the interpreter lock */
} Loader;

/* An inline row: ``originator`` and ``topic`` are the UTF-8 of the str objects it holds. */
typedef struct {
    PyObject *originator_object, *topic_object; /* strong references, released with the row */
    const char *originator;
    Py_ssize_t originator_length;
    unsigned char raw[16];
    sqlite3_int64 version;
    const char *topic;
    Py_ssize_t topic_length;
    Py_buffer state;
} Row;

/* The batch's block of links being written: the next link goes at ``at``, never past ``end``. */
typedef struct {
    unsigned char *at, *end;
} Links;

typedef struct {
    Py_ssize_t position;
    sqlite3_int64 first, count;
} Copy;

/* What went wrong without the interpreter lock, raised once it is taken back. */
typedef struct {
    PyObject *kind;
    char message[512];
} Failure;

static int fail(Failure *failure, PyObject *kind, const char *message, sqlite3 *db) {
    failure->kind = kind;
    if (db != NULL)
        snprintf(failure->message, sizeof failure->message, "%s: %s", message, sqlite3_errmsg(db));
    else
        snprintf(failure->message, sizeof failure->message, "%s", message);
    return -1;
}

static int prepare(Loader *self, Failure *failure) {
    if (self->insert != NULL) return 0;
    if (sqlite3_prepare_v2(self->db, "INSERT INTO stored_events VALUES (?,?,?,?)", -1, &self->insert, NULL) !=
            SQLITE_OK ||
        sqlite3_prepare_v2(self->db, "INSERT INTO stored_chain_blocks VALUES (?,?,?)", -1, &self->block, NULL) !=
            SQLITE_OK)
        return fail(failure, LoadError, "preparing the inserts", self->db);
    if (self->has_source &&
        sqlite3_prepare_v2(self->db,
                           "INSERT INTO main.stored_events SELECT originator_id, originator_version, topic, "
                           "memesnipe_copy(rowid, originator_id, originator_version, topic, state) "
                           "FROM memesnipe_source.stored_events WHERE rowid BETWEEN ?1 AND ?2 ORDER BY rowid",
                           -1, &self->copy, NULL) != SQLITE_OK)
        return fail(failure, LoadError, "preparing the copy from the source", self->db);
    return 0;
}

/* Insert the row bound to the insert statement; its rowid must be ``expected``. */
static int step_insert(Loader *self, sqlite3_int64 expected, Failure *failure) {
    int rc = sqlite3_step(self->insert);
    sqlite3_reset(self->insert);
    if (rc != SQLITE_DONE) return fail(failure, LoadError, "inserting an event", self->db);
    if (sqlite3_last_insert_rowid(self->db) != expected) {
        snprintf(failure->message, sizeof failure->message,
                 "an event got rowid %lld, not %lld: another writer appended to a file loaded alone",
                 (long long)sqlite3_last_insert_rowid(self->db), (long long)expected);
        failure->kind = LoadError;
        return -1;
    }
    return 0;
}

static int bind_blob(sqlite3_stmt *statement, int column, const void *data, Py_ssize_t length) {
    /* An empty state is an empty BLOB, as sqlite3 binds b"" (a NULL pointer would bind NULL). */
    return length ? sqlite3_bind_blob64(statement, column, data, (sqlite3_uint64)length, SQLITE_STATIC)
                  : sqlite3_bind_zeroblob(statement, column, 0);
}

/* memesnipe_copy(rowid, originator, version, topic, state) -> state, for the row being copied:
 * checks it is the next source row and an event row, links it (the run log's next id) and adds
 * its state to the copies' digest. */
static void copy_function(sqlite3_context *context, int argc, sqlite3_value **argv) {
    (void)argc;
    Loader *self = sqlite3_user_data(context);
    CopyRun *run = self->copying;
    if (run == NULL) {
        sqlite3_result_error(context, "memesnipe_copy is called by the loader's copies only", -1);
        return;
    }
    sqlite3_int64 rowid = sqlite3_value_int64(argv[0]);
    if (rowid != run->next_source) {
        run->missing = 1;
        sqlite3_result_error(context, "a source row is missing", -1);
        return;
    }
    const unsigned char *originator = sqlite3_value_text(argv[1]);
    int originator_length = sqlite3_value_bytes(argv[1]);
    sqlite3_int64 version = sqlite3_value_int64(argv[2]);
    const unsigned char *topic = sqlite3_value_text(argv[3]);
    int topic_length = sqlite3_value_bytes(argv[3]);
    const void *state = sqlite3_value_blob(argv[4]);
    int state_length = sqlite3_value_bytes(argv[4]);
    int valid = sqlite3_value_type(argv[1]) == SQLITE_TEXT && sqlite3_value_type(argv[3]) == SQLITE_TEXT &&
                originator != NULL && topic != NULL && version >= 0 && topic_length <= 0xFFFF &&
                originator_length == 32;
    if (valid && !(run->parsed && memcmp(run->originator_hex, originator, 32) == 0)) {
        valid = parse_originator_hex((const char *)originator, 32, run->originator) == 0;
        memcpy(run->originator_hex, originator, 32);
        run->parsed = valid;
    }
    if (!valid) {
        snprintf(run->message, sizeof run->message,
                 "the source log's event %lld is not an event row (originator, version, topic)", (long long)rowid);
        sqlite3_result_error(context, run->message, -1);
        return;
    }
    if (run->link_end - run->link < LINK_SIZE) {
        snprintf(run->message, sizeof run->message, "the copy gave more rows than the batch has links for");
        sqlite3_result_error(context, run->message, -1);
        return;
    }
    if (chain_link(self->link_hash, run->head, (uint64_t)run->next_id, run->originator, (uint64_t)version,
                   (const char *)topic, (size_t)topic_length, state, (size_t)state_length, run->link) < 0 ||
        (state_length && EVP_DigestUpdate(self->copied_hash, state, (size_t)state_length) != 1)) {
        snprintf(run->message, sizeof run->message, "OpenSSL's SHA-256 failed");
        sqlite3_result_error(context, run->message, -1);
        return;
    }
    run->link += LINK_SIZE;
    self->copied += 1;
    run->next_id += 1;
    run->next_source += 1;
    sqlite3_result_value(context, argv[4]);
}

/* Copy source rows first..first+count-1 (consecutive ids) into the table, linking each: one
 * INSERT ... SELECT from the attached source, each row through ``memesnipe_copy``. */
static int copy_run(Loader *self, const Copy *copy, unsigned char *head, sqlite3_int64 *last, Links *links,
                    Failure *failure) {
    CopyRun run = {
        .head = head, .next_id = *last + 1, .next_source = copy->first, .link = links->at, .link_end = links->end};
    sqlite3_stmt *statement = self->copy;
    sqlite3_bind_int64(statement, 1, copy->first);
    sqlite3_bind_int64(statement, 2, copy->first + copy->count - 1);
    self->copying = &run;
    int rc = sqlite3_step(statement);
    self->copying = NULL;
    sqlite3_reset(statement);
    if (run.missing || (rc == SQLITE_DONE && run.next_source != copy->first + copy->count)) {
        snprintf(failure->message, sizeof failure->message,
                 "the source log has no event %lld to copy: it changed under the run", (long long)run.next_source);
        failure->kind = MissingSourceRow;
        return -1;
    }
    if (rc != SQLITE_DONE) {
        if (!run.message[0]) return fail(failure, LoadError, "copying from the source log", self->db);
        snprintf(failure->message, sizeof failure->message, "%s", run.message);
        failure->kind = LoadError;
        return -1;
    }
    *last += copy->count;
    if (sqlite3_last_insert_rowid(self->db) != *last) {
        snprintf(failure->message, sizeof failure->message,
                 "the copied events end at rowid %lld, not %lld: another writer appended to a file loaded alone",
                 (long long)sqlite3_last_insert_rowid(self->db), (long long)*last);
        failure->kind = LoadError;
        return -1;
    }
    links->at = run.link;
    return 0;
}

static int insert_row(Loader *self, Row *row, unsigned char *head, sqlite3_int64 *last, Links *links,
                      Failure *failure) {
    sqlite3_stmt *insert = self->insert;
    sqlite3_bind_text(insert, 1, row->originator, (int)row->originator_length, SQLITE_STATIC);
    sqlite3_bind_int64(insert, 2, row->version);
    sqlite3_bind_text(insert, 3, row->topic, (int)row->topic_length, SQLITE_STATIC);
    bind_blob(insert, 4, row->state.buf, row->state.len);
    *last += 1;
    if (step_insert(self, *last, failure) < 0) return -1;
    if (links->end - links->at < LINK_SIZE) return fail(failure, LoadError, "more rows than the batch's links", NULL);
    if (chain_link(self->link_hash, head, (uint64_t)*last, row->raw, (uint64_t)row->version, row->topic,
                   (size_t)row->topic_length, row->state.buf, (size_t)row->state.len, links->at) < 0)
        return fail(failure, LoadError, "OpenSSL's SHA-256 failed", NULL);
    links->at += LINK_SIZE;
    return 0;
}

/* The block of links first..last, the ``size`` bytes at ``links``. */
static int store_block(Loader *self, sqlite3_int64 first, sqlite3_int64 last, const unsigned char *links,
                       size_t size, Failure *failure) {
    if (last < first || (sqlite3_uint64)(last - first + 1) * LINK_SIZE != size)
        return fail(failure, LoadError, "the batch's links do not cover its rows", NULL);
    sqlite3_stmt *block = self->block;
    sqlite3_bind_int64(block, 1, last);
    sqlite3_bind_int64(block, 2, first);
    sqlite3_bind_blob64(block, 3, links, (sqlite3_uint64)size, SQLITE_STATIC);
    int rc = sqlite3_step(block);
    sqlite3_reset(block);
    return rc == SQLITE_DONE ? 0 : fail(failure, LoadError, "inserting the chain's block", self->db);
}

/* The inline rows' values, held while the lock is released: the originator and topic str objects
 * by references of the row's own (their UTF-8 stays put whatever the caller's lists do), the
 * states through the buffer protocol. The columns are tuples of this call's own (see append). */
static int read_rows(PyObject *originators, PyObject *versions, PyObject *topics, PyObject *states, Row *rows,
                     Py_ssize_t count, Py_ssize_t *filled) {
    for (Py_ssize_t i = 0; i < count; i++) {
        Row *row = &rows[i];
        PyObject *originator = PyTuple_GET_ITEM(originators, i), *topic = PyTuple_GET_ITEM(topics, i);
        if (!PyUnicode_Check(originator) || !PyUnicode_Check(topic)) {
            PyErr_Format(PyExc_TypeError, "row %zd: the originator and the topic must be str", i);
            return -1;
        }
        row->originator_object = Py_NewRef(originator);
        row->topic_object = Py_NewRef(topic);
        row->originator = PyUnicode_AsUTF8AndSize(originator, &row->originator_length);
        if (row->originator == NULL) return -1;
        if (parse_originator_hex(row->originator, (size_t)row->originator_length, row->raw) < 0) {
            PyErr_Format(PyExc_ValueError, "row %zd: the originator is not 32 hex digits", i);
            return -1;
        }
        row->version = PyLong_AsLongLong(PyTuple_GET_ITEM(versions, i));
        if (row->version == -1 && PyErr_Occurred()) return -1;
        if (row->version < 0) {
            PyErr_Format(PyExc_ValueError, "row %zd: the version is negative", i);
            return -1;
        }
        row->topic = PyUnicode_AsUTF8AndSize(topic, &row->topic_length);
        if (row->topic == NULL) return -1;
        if (row->topic_length > 0xFFFF) {
            PyErr_Format(PyExc_ValueError, "row %zd: the topic is longer than 65535 bytes", i);
            return -1;
        }
        if (PyObject_GetBuffer(PyTuple_GET_ITEM(states, i), &row->state, PyBUF_SIMPLE) < 0) return -1;
        *filled = i + 1;
        if (row->state.len > 0x7FFFFFFF) {
            PyErr_Format(PyExc_ValueError, "row %zd: the state is 2 GiB or more", i);
            return -1;
        }
    }
    return 0;
}

static int read_copies(PyObject *list, Copy *copies, Py_ssize_t count, Py_ssize_t inline_count,
                       sqlite3_int64 *copied) {
    Py_ssize_t previous = 0;
    for (Py_ssize_t i = 0; i < count; i++) {
        Copy *copy = &copies[i];
        PyObject *item = PySequence_Tuple(PyTuple_GET_ITEM(list, i));
        if (item == NULL) {
            if (PyErr_ExceptionMatches(PyExc_TypeError))
                PyErr_Format(PyExc_TypeError, "copy %zd: a copy is (position, first id, count)", i);
            return -1;
        }
        long long first = -1, number = -1;
        copy->position = -1;
        if (PyTuple_GET_SIZE(item) == 3 && ((copy->position = PyLong_AsSsize_t(PyTuple_GET_ITEM(item, 0))) != -1 ||
                                            !PyErr_Occurred()) &&
            ((first = PyLong_AsLongLong(PyTuple_GET_ITEM(item, 1))) != -1 || !PyErr_Occurred()))
            number = PyLong_AsLongLong(PyTuple_GET_ITEM(item, 2));
        Py_DECREF(item);
        if (PyErr_Occurred()) return -1;
        copy->first = first;
        copy->count = number;
        if (copy->position < previous || copy->position > inline_count || first < 1 || number < 1 ||
            first > INT64_MAX - (number - 1)) {
            PyErr_Format(PyExc_ValueError, "copy %zd: out of order or out of range", i);
            return -1;
        }
        previous = copy->position;
        if (__builtin_add_overflow(*copied, number, copied)) {
            PyErr_Format(PyExc_OverflowError, "copy %zd: more rows than a batch can hold", i);
            return -1;
        }
    }
    return 0;
}

/* Whether the loader may be used now: raises RuntimeError while a call is under way (it runs
 * without the interpreter lock, and other threads may call in meanwhile). */
static int check_idle(Loader *self) {
    if (!self->busy) return 0;
    PyErr_SetString(PyExc_RuntimeError, "the loader is in use by another thread's call");
    return -1;
}

static int check_open(Loader *self) {
    if (check_idle(self) < 0) return -1;
    if (self->db != NULL) return 0;
    PyErr_SetString(LoadError, "the loader is closed");
    return -1;
}

static void release_rows(Row *rows, Py_ssize_t count, Py_ssize_t filled) {
    if (rows == NULL) return;
    for (Py_ssize_t i = 0; i < filled; i++) PyBuffer_Release(&rows[i].state);
    for (Py_ssize_t i = 0; i < count; i++) {
        Py_XDECREF(rows[i].originator_object);
        Py_XDECREF(rows[i].topic_object);
    }
    PyMem_Free(rows);
}

static PyObject *Loader_append(Loader *self, PyObject *args) {
    Py_buffer previous;
    long long before;
    PyObject *lists[5]; /* originators, versions, topics, states, copies */
    if (!PyArg_ParseTuple(args, "y*LO!O!O!O!O!", &previous, &before, &PyList_Type, &lists[0], &PyList_Type,
                          &lists[1], &PyList_Type, &lists[2], &PyList_Type, &lists[3], &PyList_Type, &lists[4]))
        return NULL;
    PyObject *result = NULL;
    PyObject *columns[5] = {NULL, NULL, NULL, NULL, NULL};
    Row *rows = NULL;
    Copy *copies = NULL;
    unsigned char *links = NULL;
    Py_ssize_t filled = 0, count = 0, copy_count = 0;
    sqlite3_int64 copied = 0;
    if (check_open(self) < 0) goto done;
    if (previous.len != 32 || before < 0) {
        PyErr_SetString(PyExc_ValueError, "head must be a 32-byte hash and before a rowid");
        goto done;
    }
    /* Tuples of this call's own: the items stay alive and in place whatever the caller's lists
     * do while Python code runs (an item's __index__) or while the lock is released. */
    for (int c = 0; c < 5; c++)
        if ((columns[c] = PyList_AsTuple(lists[c])) == NULL) goto done;
    count = PyTuple_GET_SIZE(columns[0]);
    copy_count = PyTuple_GET_SIZE(columns[4]);
    if (PyTuple_GET_SIZE(columns[1]) != count || PyTuple_GET_SIZE(columns[2]) != count ||
        PyTuple_GET_SIZE(columns[3]) != count) {
        PyErr_SetString(PyExc_ValueError, "the inline rows' columns differ in length");
        goto done;
    }
    if (copy_count && !self->has_source) {
        PyErr_SetString(MissingSourceRow, "the batch copies rows from a source, and this loader was given none");
        goto done;
    }
    rows = PyMem_Calloc(count ? (size_t)count : 1, sizeof(Row));
    copies = PyMem_Calloc(copy_count ? (size_t)copy_count : 1, sizeof(Copy));
    if (rows == NULL || copies == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    if (read_rows(columns[0], columns[1], columns[2], columns[3], rows, count, &filled) < 0) goto done;
    if (read_copies(columns[4], copies, copy_count, count, &copied) < 0) goto done;
    /* The batch's rows and its block: total rows after ``before``, total * LINK_SIZE bytes. */
    sqlite3_int64 total;
    size_t size;
    if (__builtin_add_overflow((sqlite3_int64)count, copied, &total) || total > INT64_MAX - before ||
        __builtin_mul_overflow((size_t)total, (size_t)LINK_SIZE, &size) || size > (size_t)PY_SSIZE_T_MAX) {
        PyErr_SetString(PyExc_OverflowError, "the batch has more rows than a block can hold");
        goto done;
    }
    links = PyMem_Malloc(size ? size : 1);
    if (links == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    unsigned char head[32];
    memcpy(head, previous.buf, 32);
    sqlite3_int64 last = before;
    Links block = {links, links + size};
    Failure failure = {NULL, ""};
    int status = 0;
    self->busy = 1;
    Py_BEGIN_ALLOW_THREADS
    status = prepare(self, &failure);
    Py_ssize_t next_copy = 0;
    for (Py_ssize_t i = 0; i <= count && status == 0; i++) {
        while (status == 0 && next_copy < copy_count && copies[next_copy].position == i)
            status = copy_run(self, &copies[next_copy++], head, &last, &block, &failure);
        if (status == 0 && i < count) status = insert_row(self, &rows[i], head, &last, &block, &failure);
    }
    if (status == 0 && total) status = store_block(self, before + 1, last, links, size, &failure);
    Py_END_ALLOW_THREADS
    self->busy = 0;
    if (status < 0) {
        PyErr_SetString(failure.kind, failure.message);
        goto done;
    }
    result = Py_BuildValue("Ly#", (long long)last, (const char *)head, (Py_ssize_t)32);
done:
    release_rows(rows, count, filled);
    for (int c = 0; c < 5; c++) Py_XDECREF(columns[c]);
    PyMem_Free(copies);
    PyMem_Free(links);
    PyBuffer_Release(&previous);
    return result;
}

static PyObject *Loader_execute(Loader *self, PyObject *args) {
    const char *text;
    Py_ssize_t length;
    if (!PyArg_ParseTuple(args, "s#", &text, &length)) return NULL;
    if (check_open(self) < 0) return NULL;
    /* The statements copied: run without the lock, they must not depend on the str staying alive. */
    char *sql = PyMem_RawMalloc((size_t)length + 1);
    if (sql == NULL) return PyErr_NoMemory();
    memcpy(sql, text, (size_t)length);
    sql[length] = '\0';
    char *message = NULL;
    int rc;
    self->busy = 1;
    Py_BEGIN_ALLOW_THREADS
    rc = sqlite3_exec(self->db, sql, NULL, NULL, &message);
    Py_END_ALLOW_THREADS
    self->busy = 0;
    PyMem_RawFree(sql);
    if (rc != SQLITE_OK) {
        PyErr_Format(LoadError, "%s: %s", text, message ? message : sqlite3_errstr(rc));
        sqlite3_free(message);
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyObject *Loader_copied_digest(Loader *self, PyObject *Py_UNUSED(ignored)) {
    if (check_idle(self) < 0) return NULL;
    if (self->copied_hash == NULL) {
        PyErr_SetString(LoadError, "the loader was never opened");
        return NULL;
    }
    EVP_MD_CTX *copy = EVP_MD_CTX_new();
    unsigned char digest[32];
    unsigned int size = 0;
    int done = copy != NULL && EVP_MD_CTX_copy_ex(copy, self->copied_hash) == 1 &&
               EVP_DigestFinal_ex(copy, digest, &size) == 1 && size == 32;
    EVP_MD_CTX_free(copy);
    if (!done) {
        PyErr_SetString(LoadError, "OpenSSL's SHA-256 failed");
        return NULL;
    }
    static const char hex[] = "0123456789abcdef";
    char text[64];
    for (int i = 0; i < 32; i++) {
        text[2 * i] = hex[digest[i] >> 4];
        text[2 * i + 1] = hex[digest[i] & 0x0F];
    }
    return PyUnicode_FromStringAndSize(text, 64);
}

static void close_all(Loader *self) {
    sqlite3_finalize(self->insert);
    sqlite3_finalize(self->block);
    sqlite3_finalize(self->copy);
    self->insert = self->block = self->copy = NULL;
    if (self->db != NULL) sqlite3_close_v2(self->db);
    self->db = NULL;
    self->has_source = 0;
}

/* Attach ``source`` read-only as ``memesnipe_source`` (a URI: its path percent-encoded) and
 * register ``memesnipe_copy``. */
static int attach_source(Loader *self, const char *source) {
    static const char hex[] = "0123456789ABCDEF", prefix[] = "file:", suffix[] = "?mode=ro";
    size_t length = strlen(source), room;
    /* the prefix, each byte as three at most, the suffix and its NUL */
    if (__builtin_mul_overflow(length, (size_t)3, &room) ||
        __builtin_add_overflow(room, sizeof prefix + sizeof suffix, &room)) {
        PyErr_SetString(PyExc_OverflowError, "the source's path is too long");
        return -1;
    }
    char *uri = PyMem_Malloc(room);
    if (uri == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    size_t at = 0;
    memcpy(uri, prefix, sizeof prefix - 1);
    at += sizeof prefix - 1;
    for (const unsigned char *c = (const unsigned char *)source; *c; c++) {
        if ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || strchr("/-._~", *c))
            uri[at++] = (char)*c;
        else {
            uri[at++] = '%';
            uri[at++] = hex[*c >> 4];
            uri[at++] = hex[*c & 0x0F];
        }
    }
    memcpy(uri + at, suffix, sizeof suffix); /* with its NUL: at + sizeof suffix <= room */
    sqlite3_stmt *attach = NULL;
    int rc = sqlite3_prepare_v2(self->db, "ATTACH DATABASE ?1 AS memesnipe_source", -1, &attach, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(attach, 1, uri, -1, SQLITE_STATIC);
        rc = sqlite3_step(attach);
    }
    sqlite3_finalize(attach);
    PyMem_Free(uri);
    if (rc != SQLITE_DONE ||
        sqlite3_create_function_v2(self->db, "memesnipe_copy", 5, SQLITE_UTF8 | SQLITE_DIRECTONLY, self,
                                   copy_function, NULL, NULL, NULL) != SQLITE_OK) {
        PyErr_Format(LoadError, "attaching the source %s: %s", source, sqlite3_errmsg(self->db));
        return -1;
    }
    self->has_source = 1;
    return 0;
}

static PyObject *Loader_close(Loader *self, PyObject *Py_UNUSED(ignored)) {
    if (check_idle(self) < 0) return NULL;
    close_all(self);
    Py_RETURN_NONE;
}

static int Loader_init(Loader *self, PyObject *args, PyObject *kwargs) {
    static char *keywords[] = {"path", "source", NULL};
    const char *path, *source = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "s|z", keywords, &path, &source)) return -1;
    if (check_idle(self) < 0) return -1;
    close_all(self);
    if (self->link_hash == NULL) self->link_hash = EVP_MD_CTX_new();
    if (self->copied_hash == NULL) self->copied_hash = EVP_MD_CTX_new();
    if (self->link_hash == NULL || self->copied_hash == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    if (EVP_DigestInit_ex(self->copied_hash, chain_sha256, NULL) != 1) {
        PyErr_SetString(LoadError, "OpenSSL's SHA-256 failed");
        return -1;
    }
    self->copied = 0;
    /* NOMUTEX: one thread uses a loader at a time (``busy`` refuses a second meanwhile), so SQLite
     * need not lock each call on its connections (those locks cost the writer CPU for nothing). */
    if (sqlite3_open_v2(path, &self->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI, NULL) !=
        SQLITE_OK) {
        PyErr_Format(LoadError, "opening %s: %s", path, self->db ? sqlite3_errmsg(self->db) : "out of memory");
        close_all(self);
        return -1;
    }
    sqlite3_busy_timeout(self->db, 30000);
    if (source != NULL && attach_source(self, source) < 0) {
        close_all(self);
        return -1;
    }
    return 0;
}

static void Loader_dealloc(Loader *self) {
    /* Never busy here: a call under way holds a reference to the loader. */
    close_all(self);
    EVP_MD_CTX_free(self->link_hash);
    EVP_MD_CTX_free(self->copied_hash);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *Loader_get_copied(Loader *self, void *Py_UNUSED(closure)) {
    if (check_idle(self) < 0) return NULL;
    return PyLong_FromLongLong(self->copied);
}

static PyObject *Loader_get_in_use(Loader *self, void *Py_UNUSED(closure)) { return PyBool_FromLong(self->busy); }

static PyMethodDef Loader_methods[] = {
    {"append", (PyCFunction)Loader_append, METH_VARARGS,
     "append(head, before, originators, versions, topics, states, copies) -> (last, head)"},
    {"execute", (PyCFunction)Loader_execute, METH_VARARGS, "execute(sql): run statements on the connection"},
    {"copied_digest", (PyCFunction)Loader_copied_digest, METH_NOARGS,
     "SHA-256 (hex) over the copied rows' states, in the order copied"},
    {"close", (PyCFunction)Loader_close, METH_NOARGS, "close the connection (RuntimeError while in use)"},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef Loader_getset[] = {
    {"copied", (getter)Loader_get_copied, NULL, "how many source rows were copied", NULL},
    {"in_use", (getter)Loader_get_in_use, NULL, "whether a call is under way (close() then raises)", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyTypeObject LoaderType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "infrastructure.store._loader.Loader",
    .tp_basicsize = sizeof(Loader),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "A run log's batches inserted and linked in C (see the module).",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Loader_init,
    .tp_dealloc = (destructor)Loader_dealloc,
    .tp_methods = Loader_methods,
    .tp_getset = Loader_getset,
};

static PyObject *sqlite_version(PyObject *module, PyObject *Py_UNUSED(ignored)) {
    return PyUnicode_FromString(sqlite3_libversion());
}

static PyObject *sqlite_version_number(PyObject *module, PyObject *Py_UNUSED(ignored)) {
    return PyLong_FromLong(sqlite3_libversion_number());
}

/* SQLite keeps statistics of its memory (on by default), and every allocation and free takes a
 * global lock for them: a lock on every allocation, for statistics the run-log writer never
 * reads. They can only be turned off with the library shut down: call this before the process
 * opens any connection. */
static PyObject *disable_memory_statistics(PyObject *module, PyObject *Py_UNUSED(ignored)) {
    int done = sqlite3_shutdown() == SQLITE_OK && sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0) == SQLITE_OK;
    if (sqlite3_initialize() != SQLITE_OK) {
        PyErr_SetString(LoadError, "SQLite did not start again after its memory statistics were turned off");
        return NULL;
    }
    return PyBool_FromLong(done);
}

static PyMethodDef module_methods[] = {
    {"sqlite_version", sqlite_version, METH_NOARGS, "the SQLite library this module runs on"},
    {"sqlite_version_number", sqlite_version_number, METH_NOARGS,
     "the SQLite library this module runs on, as SQLITE_VERSION_NUMBER writes it"},
    {"disable_memory_statistics", disable_memory_statistics, METH_NOARGS,
     "turn SQLite's memory statistics off in this process (before it opens any connection); whether done"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef loader_module = {
    PyModuleDef_HEAD_INIT, "_loader", "A run log's batches inserted and linked in C.", -1, module_methods,
};

PyMODINIT_FUNC PyInit__loader(void) {
    if (chain_sha256_fetch() < 0) {
        PyErr_SetString(PyExc_ImportError, "_loader: OpenSSL has no SHA-256 here");
        return NULL;
    }
    if (PyType_Ready(&LoaderType) < 0) return NULL;
    PyObject *module = PyModule_Create(&loader_module);
    if (module == NULL) return NULL;
    LoadError = PyErr_NewException("infrastructure.store._loader.LoadError", NULL, NULL);
    MissingSourceRow = PyErr_NewException("infrastructure.store._loader.MissingSourceRow", LoadError, NULL);
    if (LoadError == NULL || MissingSourceRow == NULL ||
        PyModule_AddObjectRef(module, "Loader", (PyObject *)&LoaderType) < 0 ||
        PyModule_AddObjectRef(module, "LoadError", LoadError) < 0 ||
        PyModule_AddObjectRef(module, "MissingSourceRow", MissingSourceRow) < 0 ||
        PyModule_AddIntConstant(module, "SQLITE_HEADER_VERSION_NUMBER", SQLITE_VERSION_NUMBER) < 0) {
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
