/* The report's marks of a long position over a scan's closes, in C: for each close, the equity
 * cash + quantity * close exactly as Decimal computes it, as the text str() gives that Decimal,
 * and as the float float() gives it, without making a Decimal.
 *
 * marks(cash_coefficient, cash_exponent, quantity_coefficient, quantity_exponent,
 *       coefficients, exponents, start, stop) -> (texts, floats) | None
 *   coefficients  int64 buffer; exponents: int8 buffer (the closes, domain/market/columns.py)
 *   texts         a list of str; floats: the doubles packed (native order)
 *   None          where a value is not one this reads exactly: a product or sum of 28 digits or
 *                 more (Decimal would round it), a zero (its sign follows Decimal's rules), a
 *                 number too large here. The caller computes those marks in Decimal.
 * Decimal's exact arithmetic: a product's coefficient is the product of the coefficients, its
 * exponent their sum; a sum's exponent is the smaller one. str() is Decimal's to-sci-string;
 * float() reads that text (glibc's strtod rounds correctly, as Python's float() of the text).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>

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

/* Decimal's str() of coefficient * 10**exponent (coefficient != 0). */
static Py_ssize_t format_decimal(int128 coefficient, int exponent, char *out) {
    char digits[48];
    int count = 0, negative = coefficient < 0;
    unsigned __int128 magnitude = negative ? -(unsigned __int128)coefficient : (unsigned __int128)coefficient;
    while (magnitude) {
        digits[count++] = (char)('0' + (int)(magnitude % 10));
        magnitude /= 10;
    }
    Py_ssize_t at = 0;
    if (negative) out[at++] = '-';
    int adjusted = exponent + count - 1;
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
        at += sprintf(out + at, "E%c%d", adjusted >= 0 ? '+' : '-', adjusted >= 0 ? adjusted : -adjusted);
    }
    out[at] = '\0';
    return at;
}

static PyObject *marks(PyObject *module, PyObject *args) {
    long long cash_coefficient, quantity_coefficient;
    int cash_exponent, quantity_exponent;
    Py_buffer coefficients, exponents;
    Py_ssize_t start, stop;
    if (!PyArg_ParseTuple(args, "LiLiy*y*nn", &cash_coefficient, &cash_exponent, &quantity_coefficient,
                          &quantity_exponent, &coefficients, &exponents, &start, &stop))
        return NULL;
    PyObject *texts = NULL, *floats = NULL, *result = NULL;
    Py_ssize_t count = coefficients.len / 8;
    if (coefficients.len % 8 != 0 || exponents.len != count || start < 0 || stop > count || start > stop) {
        PyErr_SetString(PyExc_ValueError, "marks: columns out of shape");
        goto done;
    }
    const int64_t *coefficient = coefficients.buf;
    const int8_t *exponent = exponents.buf;
    const int128 limit = power_of_ten(28);
    texts = PyList_New(stop - start);
    floats = PyBytes_FromStringAndSize(NULL, (stop - start) * (Py_ssize_t)sizeof(double));
    if (texts == NULL || floats == NULL) goto done;
    double *float_out = (double *)PyBytes_AS_STRING(floats);
    for (Py_ssize_t i = start; i < stop; i++) {
        int128 product = (int128)quantity_coefficient * coefficient[i];
        int product_exponent = quantity_exponent + exponent[i];
        int smaller = product_exponent < cash_exponent ? product_exponent : cash_exponent;
        int128 cash_part, product_part, sum;
        if (product >= limit || product <= -limit ||
            scale_up(cash_coefficient, cash_exponent - smaller, &cash_part) < 0 ||
            scale_up(product, product_exponent - smaller, &product_part) < 0 ||
            __builtin_add_overflow(cash_part, product_part, &sum) || sum >= limit || sum <= -limit || sum == 0) {
            result = Py_NewRef(Py_None);
            goto done;
        }
        char text[96];
        Py_ssize_t length = format_decimal(sum, smaller, text);
        PyObject *item = PyUnicode_FromStringAndSize(text, length);
        if (item == NULL) goto done;
        PyList_SET_ITEM(texts, i - start, item);
        float_out[i - start] = strtod(text, NULL);
    }
    result = PyTuple_Pack(2, texts, floats);
done:
    Py_XDECREF(texts);
    Py_XDECREF(floats);
    PyBuffer_Release(&coefficients);
    PyBuffer_Release(&exponents);
    return result;
}

static PyMethodDef methods[] = {
    {"marks", marks, METH_VARARGS,
     "marks(cash_coefficient, cash_exponent, quantity_coefficient, quantity_exponent, coefficients, exponents, "
     "start, stop) -> (texts, floats) | None"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef marks_module = {
    PyModuleDef_HEAD_INIT, "_equity_marks", "The report's marks of a long position over closes, in C.", -1, methods,
};

PyMODINIT_FUNC PyInit__equity_marks(void) { return PyModule_Create(&marks_module); }
