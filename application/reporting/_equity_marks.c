/* The report's equity curve rendered in C: runs of values (see application/reporting/
 * equity_curve.py) to the JSON array of their exact texts and their floats, each value exactly as
 * Decimal computes it, as the text str() gives that Decimal (written as a JSON string, as msgspec
 * writes a Decimal), and as the float float() gives it, without making a Decimal or a str per value.
 *
 * render(runs) -> (json, floats) | None
 *   runs    a flat list, seven items a run: the kind, then (0) value: one value; (1) value, count:
 *           a value count times; (2) cash, quantity, coefficients, exponents, start, stop:
 *           cash + quantity * close for the closes start:stop (coefficients: int64 buffer,
 *           exponents: int8 buffer, as in domain/market/columns.py); the rest None. Values, cash
 *           and quantity are Decimals (or their texts)
 *   json    b'["1.5","2.25",...]'; floats: the doubles packed (native order)
 *   None    where a value is not one this renders exactly: cash, quantity or a value of more
 *           than 18 digits or not finite, a product or sum of 28 digits or more (Decimal would
 *           round it), a zero (its sign follows Decimal's rules). The caller renders in Decimal.
 * Decimal's exact arithmetic: a product's coefficient is the product of the coefficients, its
 * exponent their sum; a sum's exponent is the smaller one. str() is Decimal's to-sci-string;
 * float() reads that text (glibc's strtod rounds correctly, as Python's float() of the text); where
 * the coefficient and the power of ten are exact doubles, one division or product rounds the same.
 *
 * The output is sized from the runs' lengths (a value's text is at most TEXT_ROOM bytes, checked as
 * it is written) in buffers of this module's own, and every write is checked against their ends:
 * runs that change while rendered raise ValueError rather than write past them. The bytes
 * returned are made from those buffers (public API only).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef __int128 int128;

static int128 power_of_ten(int n) {
    int128 value = 1;
    while (n-- > 0) value *= 10;
    return value;
}

/* value * 10**shift, 0 <= shift; -1 on overflow past 10**38. */
static int scale_up(int128 value, int shift, int128 *out) {
    if (shift > 38) return value == 0 ? (*out = 0, 0) : -1;
    int128 factor = power_of_ten(shift);
    if (__builtin_mul_overflow(value, factor, out)) return -1;
    return 0;
}

/* Decimal's str() of coefficient * 10**exponent (coefficient != 0) into ``out`` (``room`` bytes);
 * its length, or -1 if it might not fit. The values rendered have 28 digits at most (sums under
 * 10**28), which with a sign, "0." and 5 zeros, or a point and an exponent, fit TEXT_ROOM - 2. */
static Py_ssize_t format_decimal(int128 coefficient, int exponent, char *out, Py_ssize_t room) {
    char digits[48];
    int count = 0, negative = coefficient < 0;
    unsigned __int128 magnitude = negative ? -(unsigned __int128)coefficient : (unsigned __int128)coefficient;
    while (magnitude > UINT64_MAX) { /* 128-bit division is slow: only down to 64 bits */
        digits[count++] = (char)('0' + (int)(magnitude % 10));
        magnitude /= 10;
    }
    for (uint64_t small = (uint64_t)magnitude; small; small /= 10) digits[count++] = (char)('0' + (int)(small % 10));
    long adjusted = (long)exponent + count - 1;
    /* the longest form: sign, "0." and 6 zeros or a point, the digits, "E+" and 20 characters */
    if ((Py_ssize_t)count + 32 > room) return -1;
    Py_ssize_t at = 0;
    if (negative) out[at++] = '-';
    if (exponent <= 0 && adjusted >= -6) {
        int point = count + exponent; /* digits before the point */
        if (point <= 0) {
            out[at++] = '0';
            out[at++] = '.';
            for (int i = 0; i < -point; i++) out[at++] = '0';
            for (int i = count - 1; i >= 0; i--) out[at++] = digits[i];
        } else {
            for (int i = count - 1, n = 0; i >= 0; i--, n++) {
                if (n == point) out[at++] = '.';
                out[at++] = digits[i];
            }
        }
    } else {
        out[at++] = digits[count - 1];
        if (count > 1) {
            out[at++] = '.';
            for (int i = count - 2; i >= 0; i--) out[at++] = digits[i];
        }
        int written = snprintf(out + at, (size_t)(room - at), "E%c%ld", adjusted >= 0 ? '+' : '-',
                               adjusted >= 0 ? adjusted : -adjusted);
        if (written < 0 || written >= room - at) return -1;
        at += written;
    }
    out[at] = '\0';
    return at;
}

/* A Decimal's str() (finite, 18 digits or fewer) as coefficient and exponent; -1 otherwise. */
static int parse_decimal(const char *text, Py_ssize_t length, long long *coefficient, int *exponent) {
    Py_ssize_t at = 0;
    int negative = 0, digits = 0, fraction = 0, seen_point = 0;
    long long value = 0;
    if (at < length && text[at] == '-') negative = 1, at++;
    for (; at < length; at++) {
        char c = text[at];
        if (c >= '0' && c <= '9') {
            if (value != 0 || c != '0') digits++; /* leading zeros are not the coefficient's */
            if (digits > 18 || fraction > 100000) return -1;
            value = value * 10 + (c - '0');
            fraction += seen_point;
        } else if (c == '.' && !seen_point) {
            seen_point = 1;
        } else {
            break;
        }
    }
    if (at == 0 || (at == 1 && negative)) return -1;
    long adjust = 0;
    if (at < length) {
        if (text[at] != 'E' || ++at >= length) return -1;
        int sign = 1;
        if (text[at] == '+' || text[at] == '-') sign = text[at++] == '-' ? -1 : 1;
        if (at >= length) return -1;
        for (; at < length; at++) {
            if (text[at] < '0' || text[at] > '9' || adjust > 100000) return -1;
            adjust = adjust * 10 + (text[at] - '0');
        }
        adjust *= sign;
    }
    *coefficient = negative ? -value : value;
    *exponent = (int)(adjust - fraction);
    return 0;
}

#define TEXT_ROOM 64 /* a mark's text and its JSON quotes and comma, at most (format_decimal) */

/* Decimal's str() of an object as a finite number's coefficient and exponent: -1 if it is not. */
static int decimal_parts(PyObject *value, long long *coefficient, int *exponent) {
    PyObject *text = PyObject_Str(value);
    if (text == NULL) return -2;
    Py_ssize_t length;
    const char *chars = PyUnicode_AsUTF8AndSize(text, &length);
    int found = chars == NULL ? -2 : parse_decimal(chars, length, coefficient, exponent);
    Py_DECREF(text);
    if (found == 0 && (*exponent < -1000 || *exponent > 1000)) found = -1;
    return found;
}

/* The JSON text (``room`` bytes) and the floats (``capacity`` of them) being written. */
typedef struct {
    char *out;
    Py_ssize_t written, room;
    char *floats;
    Py_ssize_t count, capacity;
} Output;

static int overrun(void) {
    PyErr_SetString(PyExc_ValueError, "render: runs changed while rendered");
    return -2;
}

/* One value, coefficient * 10**exponent, as its JSON text and float; -1 where it is not exact
 * here (see the module). */
static const double exact_powers[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                      1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* The float nearest coefficient * 10**exponent, as strtod reads its text: where the coefficient
 * and the power of ten are both exact doubles, one IEEE multiplication or division rounds the
 * exact value correctly (Clinger's fast path); strtod otherwise. */
static double nearest_double(int128 coefficient, int exponent, const char *text) {
    const int128 exact = (int128)1 << 53;
    if (coefficient > -exact && coefficient < exact && exponent >= -22 && exponent <= 22) {
        double value = (double)(int64_t)coefficient;
        return exponent < 0 ? value / exact_powers[-exponent] : value * exact_powers[exponent];
    }
    return strtod(text, NULL);
}

/* One value, coefficient * 10**exponent, ``times`` times, as its JSON text and float; -1 where it
 * is not one rendered exactly here (see the module), -2 (ValueError) where it would not fit. */
static int put(Output *o, int128 coefficient, int exponent, Py_ssize_t times) {
    if (coefficient == 0) return -1;
    if (times <= 0) return 0;
    char item[TEXT_ROOM];
    item[0] = '"';
    Py_ssize_t length = format_decimal(coefficient, exponent, item + 1, TEXT_ROOM - 2);
    if (length < 0) return overrun();
    double value = nearest_double(coefficient, exponent, item + 1);
    item[length + 1] = '"';
    Py_ssize_t size = length + 2, each = size + 1; /* with the comma before it */
    if (times > o->capacity - o->count || times > (o->room - o->written) / each) return overrun();
    for (Py_ssize_t i = 0; i < times; i++) {
        if (o->count > 0) o->out[o->written++] = ',';
        memcpy(o->out + o->written, item, (size_t)size);
        o->written += size;
        memcpy(o->floats + 8 * o->count++, &value, 8);
    }
    return 0;
}

#define FIELDS 7 /* a run's items in the flat list (see render) */

/* A run (see render) into the output; -1 where not exact here, -2 on a Python error. */
static int render_run(Output *o, PyObject **run, const int128 limit) {
    long kind = PyLong_AsLong(run[0]);
    long long value, quantity;
    int exponent, quantity_exponent, found;
    if (kind == 0 || kind == 1) { /* (0, value) or (1, value, count) */
        Py_ssize_t times = 1;
        if (kind == 1 && (times = PyLong_AsSsize_t(run[2])) < 0) return PyErr_Occurred() ? -2 : -1;
        if ((found = decimal_parts(run[1], &value, &exponent)) < 0) return found;
        return put(o, value, exponent, times);
    }
    if (kind != 2) {
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "render: unknown run");
        return -2;
    }
    /* (2, cash, quantity, coefficients, exponents, start, stop) */
    if ((found = decimal_parts(run[1], &value, &exponent)) < 0 ||
        (found = decimal_parts(run[2], &quantity, &quantity_exponent)) < 0)
        return found;
    Py_ssize_t start = PyLong_AsSsize_t(run[5]);
    if (start == -1 && PyErr_Occurred()) return -2;
    Py_ssize_t stop = PyLong_AsSsize_t(run[6]);
    if (stop == -1 && PyErr_Occurred()) return -2;
    Py_buffer coefficients, exponents;
    if (PyObject_GetBuffer(run[3], &coefficients, PyBUF_SIMPLE) < 0) return -2;
    if (PyObject_GetBuffer(run[4], &exponents, PyBUF_SIMPLE) < 0) {
        PyBuffer_Release(&coefficients);
        return -2;
    }
    int status = 0;
    Py_ssize_t count = coefficients.len / 8;
    if (coefficients.len % 8 != 0 || exponents.len != count || start < 0 || stop > count || start > stop) {
        PyErr_SetString(PyExc_ValueError, "render: columns out of shape");
        status = -2;
    }
    const int8_t *close_exponent = exponents.buf;
    for (Py_ssize_t i = start; status == 0 && i < stop; i++) { /* 0 <= i < count: within both buffers */
        int64_t close;
        memcpy(&close, (const char *)coefficients.buf + 8 * i, 8);
        int128 product = (int128)quantity * close;
        int product_exponent = quantity_exponent + close_exponent[i];
        int smaller = product_exponent < exponent ? product_exponent : exponent;
        int128 cash_part, product_part, sum;
        if (product >= limit || product <= -limit || scale_up(value, exponent - smaller, &cash_part) < 0 ||
            scale_up(product, product_exponent - smaller, &product_part) < 0 ||
            __builtin_add_overflow(cash_part, product_part, &sum) || sum >= limit || sum <= -limit)
            status = -1;
        else
            status = put(o, sum, smaller, 1);
    }
    PyBuffer_Release(&coefficients);
    PyBuffer_Release(&exponents);
    return status;
}

/* How many values a run renders; -1 for a bad run (with a Python error where one occurred). */
static Py_ssize_t run_length(PyObject **run) {
    long kind = PyLong_AsLong(run[0]);
    if (kind == 1) return PyLong_AsSsize_t(run[2]);
    if (kind != 2) return 1;
    Py_ssize_t start = PyLong_AsSsize_t(run[5]), stop, length;
    if (start == -1 && PyErr_Occurred()) return -1;
    stop = PyLong_AsSsize_t(run[6]);
    if (stop == -1 && PyErr_Occurred()) return -1;
    return __builtin_sub_overflow(stop, start, &length) ? -1 : length;
}

static PyObject *render(PyObject *module, PyObject *runs) {
    if (!PyList_Check(runs)) {
        PyErr_SetString(PyExc_TypeError, "render: runs must be a list");
        return NULL;
    }
    Py_ssize_t total = 0, n = PyList_GET_SIZE(runs);
    if (n % FIELDS != 0) {
        PyErr_SetString(PyExc_ValueError, "render: runs are seven items each");
        return NULL;
    }
    PyObject *held = PyList_AsTuple(runs); /* the items stay put whatever str() of one does */
    if (held == NULL) return NULL;
    PyObject **items = PySequence_Fast_ITEMS(held);
    PyObject *json = NULL, *floats = NULL, *result = NULL;
    char *text = NULL;
    for (Py_ssize_t i = 0; i < n; i += FIELDS) {
        Py_ssize_t length = run_length(items + i);
        if (PyErr_Occurred()) goto done;
        if (length < 0 || length > PY_SSIZE_T_MAX / TEXT_ROOM - total) {
            PyErr_SetString(PyExc_ValueError, "render: a run of bad length");
            goto done;
        }
        total += length;
    }
    /* total <= PY_SSIZE_T_MAX / TEXT_ROOM - ... (checked above): the sizes do not overflow */
    Py_ssize_t room = total * TEXT_ROOM + 2, float_size;
    if (__builtin_mul_overflow(total, (Py_ssize_t)sizeof(double), &float_size)) {
        PyErr_SetString(PyExc_ValueError, "render: runs too long");
        goto done;
    }
    text = PyMem_Malloc((size_t)room);
    floats = PyBytes_FromStringAndSize(NULL, float_size);
    if (text == NULL || floats == NULL) {
        if (text == NULL) PyErr_NoMemory();
        goto done;
    }
    Output o = {text, 0, room - 1, PyBytes_AS_STRING(floats), 0, total}; /* room - 1: the closing ']' */
    o.out[o.written++] = '[';
    const int128 limit = power_of_ten(28);
    for (Py_ssize_t i = 0; i < n; i += FIELDS) {
        int status = render_run(&o, items + i, limit);
        if (status == -2) goto done;
        if (status == -1) {
            result = Py_NewRef(Py_None);
            goto done;
        }
    }
    o.out[o.written++] = ']';
    if (o.count != total) {
        PyErr_SetString(PyExc_ValueError, "render: runs changed while rendered");
        goto done;
    }
    json = PyBytes_FromStringAndSize(text, o.written);
    if (json == NULL) goto done;
    result = PyTuple_Pack(2, json, floats);
done:
    Py_DECREF(held);
    PyMem_Free(text);
    Py_XDECREF(json);
    Py_XDECREF(floats);
    return result;
}

/* milliseconds(timestamps) -> bytes: int64 nanosecond timestamps (a buffer: array('q')) as the
 * JSON array of their milliseconds, floored as Python's // floors: the report's time axis, with
 * no int object made for each (as going through numpy's tolist and msgspec would). */
static PyObject *milliseconds(PyObject *module, PyObject *timestamps) {
    Py_buffer view;
    if (PyObject_GetBuffer(timestamps, &view, PyBUF_FORMAT | PyBUF_C_CONTIGUOUS) < 0) return NULL;
    PyObject *json = NULL;
    if (view.itemsize != 8 || view.format == NULL || (strcmp(view.format, "q") != 0 && strcmp(view.format, "l") != 0)) {
        PyErr_SetString(PyExc_TypeError, "milliseconds: timestamps must be int64 (array('q'))");
        goto done;
    }
    Py_ssize_t count = view.len / 8;
    if (count > (PY_SSIZE_T_MAX - 2) / 21) {
        PyErr_SetString(PyExc_ValueError, "milliseconds: too many timestamps");
        goto done;
    }
    Py_ssize_t room = count * 21 + 2; /* a sign, 19 digits and a comma each, and the brackets */
    char *out = PyMem_Malloc((size_t)room);
    if (out == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    Py_ssize_t at = 0;
    out[at++] = '[';
    for (Py_ssize_t i = 0; i < count; i++) {
        int64_t value, ms;
        memcpy(&value, (const char *)view.buf + 8 * i, 8);
        ms = value / 1000000;
        if (value % 1000000 != 0 && value < 0) ms -= 1; /* floor, not C's truncation */
        uint64_t magnitude = ms < 0 ? (uint64_t)0 - (uint64_t)ms : (uint64_t)ms;
        char digits[20];
        int n = 0;
        do {
            digits[n++] = (char)('0' + (int)(magnitude % 10));
            magnitude /= 10;
        } while (magnitude);
        if (room - at < n + 3) { /* comma, sign, digits and the closing bracket */
            PyMem_Free(out);
            PyErr_SetString(PyExc_ValueError, "milliseconds: the text outgrew its room");
            goto done;
        }
        if (i) out[at++] = ',';
        if (ms < 0) out[at++] = '-';
        while (n) out[at++] = digits[--n];
    }
    out[at++] = ']';
    json = PyBytes_FromStringAndSize(out, at);
    PyMem_Free(out);
done:
    PyBuffer_Release(&view);
    return json;
}

static PyMethodDef methods[] = {
    {"render", render, METH_O, "render(runs) -> (json, floats) | None"},
    {"milliseconds", milliseconds, METH_O, "milliseconds(int64 nanosecond timestamps) -> JSON array bytes"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef marks_module = {
    PyModuleDef_HEAD_INIT, "_equity_marks", "The report's marks of a long position over closes, in C.", -1, methods,
};

PyMODINIT_FUNC PyInit__equity_marks(void) { return PyModule_Create(&marks_module); }
