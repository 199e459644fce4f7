/* sma_cross's integer steps over a page's close columns, in C: sma_state.IntSmas.step for each
 * close of coefficients[start:stop] (times 10**(scale + exponent)), with the same ring, sums and
 * results as the Python loop (IntSmas._scan_columns_python), without a Python object per close.
 *
 * scan(coefficients, exponents, start, stop, ring, next, seen, scale, fast, fast_sum, slow_sum,
 *      previous, flat, long) -> (index, found, next, seen, fast_sum, slow_sum, previous)
 *   coefficients  int64 buffer; exponents: int8 buffer (the closes' own, see domain/market/columns.py)
 *   ring          the state's writable int64 buffer of ``slow`` values (updated in place)
 *   found         0 nothing (index == stop), 1 buy, 2 close (index: after that close), or 3: the
 *                 close at ``index`` has more decimal places than ``scale`` or does not fit
 *                 (times slow, 2**62): taken by Python, nothing of it consumed here.
 * Sums stay under 2**62 and their products (int128) under 2**93 < 10**28: Decimal's exact range.
 * That holds for a state IntSmas made; a state given from elsewhere is checked, not trusted: sums
 * of 2**62 or more are refused (ValueError), every step's arithmetic is checked (OverflowError
 * rather than a wrapped sum), and the buffers are read and written within their lengths, with no
 * assumption about their alignment.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#define LIMIT ((int64_t)1 << 62)

static const int64_t POWERS[19] = {
    1LL, 10LL, 100LL, 1000LL, 10000LL, 100000LL, 1000000LL, 10000000LL, 100000000LL, 1000000000LL,
    10000000000LL, 100000000000LL, 1000000000000LL, 10000000000000LL, 100000000000000LL,
    1000000000000000LL, 10000000000000000LL, 100000000000000000LL, 1000000000000000000LL,
};

static int64_t load(const void *buffer, Py_ssize_t index) {
    int64_t value;
    memcpy(&value, (const char *)buffer + 8 * index, 8);
    return value;
}

static void store(void *buffer, Py_ssize_t index, int64_t value) { memcpy((char *)buffer + 8 * index, &value, 8); }

static PyObject *scan(PyObject *module, PyObject *args) {
    Py_buffer coefficients, exponents, ring;
    Py_ssize_t start, stop, next, seen, fast;
    long long scale, fast_sum, slow_sum;
    int previous, flat, is_long;
    if (!PyArg_ParseTuple(args, "y*y*nnw*nnLnLLipp", &coefficients, &exponents, &start, &stop, &ring, &next, &seen,
                          &scale, &fast, &fast_sum, &slow_sum, &previous, &flat, &is_long))
        return NULL;
    PyObject *result = NULL;
    Py_ssize_t slow = ring.len / (Py_ssize_t)sizeof(int64_t);
    Py_ssize_t count = coefficients.len / (Py_ssize_t)sizeof(int64_t);
    if (coefficients.len % 8 != 0 || ring.len % 8 != 0 || exponents.len != count || start < 0 || stop > count ||
        start > stop || slow < 1 || fast < 1 || fast >= slow || next < 0 || next >= slow || seen < 0 || seen > slow ||
        scale < 0) {
        PyErr_SetString(PyExc_ValueError, "scan: columns or state out of shape");
        goto done;
    }
    if (fast_sum <= -LIMIT || fast_sum >= LIMIT || slow_sum <= -LIMIT || slow_sum >= LIMIT) {
        PyErr_SetString(PyExc_ValueError, "scan: the state's sums are out of range");
        goto done;
    }
    const int8_t *exponent = exponents.buf;
    const int64_t bound = LIMIT / slow;
    Py_ssize_t index = start;
    int found = 0, overflow = 0;
    /* index < stop <= count: coefficient and exponent ``index`` are within their buffers; next and
     * the fast window's slot are in [0, slow): within the ring. */
    for (; index < stop; index++) {
        long long shift;
        if (__builtin_add_overflow(scale, (long long)exponent[index], &shift) || shift < 0 || shift > 18) {
            found = 3;
            break;
        }
        __int128 scaled = (__int128)load(coefficients.buf, index) * POWERS[shift];
        if (scaled <= -bound || scaled >= bound) {
            found = 3;
            break;
        }
        int64_t value = (int64_t)scaled;
        Py_ssize_t leaving = next >= fast ? next - fast : next - fast + slow;
        if (seen == slow) overflow |= __builtin_sub_overflow(slow_sum, load(ring.buf, next), &slow_sum);
        if (seen >= fast) overflow |= __builtin_sub_overflow(fast_sum, load(ring.buf, leaving), &fast_sum);
        overflow |= __builtin_add_overflow(fast_sum, value, &fast_sum);
        overflow |= __builtin_add_overflow(slow_sum, value, &slow_sum);
        if (overflow) {
            PyErr_SetString(PyExc_OverflowError, "scan: the state's sums overflow (the ring is not the sums')");
            goto done;
        }
        store(ring.buf, next, value);
        next = next + 1 < slow ? next + 1 : 0;
        if (seen < slow) {
            seen += 1;
            if (seen < slow) continue;
        }
        __int128 left = (__int128)fast_sum * slow, right = (__int128)slow_sum * fast;
        int sign = (left > right) - (left < right);
        if (sign == previous) continue;
        int was = previous;
        previous = sign;
        if (was == -1 && sign == 1 && flat) found = 1;
        else if (was == 1 && sign == -1 && is_long) found = 2;
        if (found) {
            index += 1;
            break;
        }
    }
    result = Py_BuildValue("ninnLLi", index, found, next, seen, fast_sum, slow_sum, previous);
done:
    PyBuffer_Release(&coefficients);
    PyBuffer_Release(&exponents);
    PyBuffer_Release(&ring);
    return result;
}

static PyMethodDef methods[] = {
    {"scan", scan, METH_VARARGS,
     "scan(coefficients, exponents, start, stop, ring, next, seen, scale, fast, fast_sum, slow_sum, previous, "
     "flat, long) -> (index, found, next, seen, fast_sum, slow_sum, previous)"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef kernel_module = {
    PyModuleDef_HEAD_INIT, "_sma_kernel", "sma_cross's integer steps over close columns, in C.", -1, methods,
};

PyMODINIT_FUNC PyInit__sma_kernel(void) { return PyModule_Create(&kernel_module); }
