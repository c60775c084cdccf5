#!/usr/bin/env python3
"""immediate_forms.py OUT.wast — writes a spec-style .wast for the translator's own forms.

The translator gives integer operations with a constant operand their own
instructions (K forms: the constant inside the instruction, shift and rotate
counts masked at translation, a subtraction as an add of the negation, compares
mirrored when the constant comes first) and fuses compares with br_if and if.
The spec testsuite passes operands as parameters and so rarely reaches these
forms. Here every function has its constant in the code, and the expected value
is the operation's definition computed in Python, as the spec's .wast files state
theirs. CTest runs the result through build/spectest (tests/engine/CMakeLists.txt).
"""
import sys


def signed(v, bits):
    v &= (1 << bits) - 1
    return v - (1 << bits) if v >> (bits - 1) else v


def rotl(x, k, bits):
    k %= bits
    return ((x << k) | (x >> (bits - k))) & ((1 << bits) - 1) if k else x


BINOPS = {
    "add": lambda x, k, b: x + k,
    "sub": lambda x, k, b: x - k,
    "mul": lambda x, k, b: x * k,
    "and": lambda x, k, b: x & k,
    "or": lambda x, k, b: x | k,
    "xor": lambda x, k, b: x ^ k,
    "shl": lambda x, k, b: x << (k % b),
    "shr_u": lambda x, k, b: x >> (k % b),
    "shr_s": lambda x, k, b: signed(x, b) >> (k % b),
    "rotl": lambda x, k, b: rotl(x, k, b),
    "rotr": lambda x, k, b: rotl(x, (b - k % b) % b, b),
}
# Operations whose constant may come first and still give a K form.
CONST_FIRST = ("add", "sub", "mul", "and", "or", "xor")

COMPARES = {
    "eq": lambda a, c, b: a == c,
    "ne": lambda a, c, b: a != c,
    "lt_s": lambda a, c, b: signed(a, b) < signed(c, b),
    "lt_u": lambda a, c, b: a < c,
    "gt_s": lambda a, c, b: signed(a, b) > signed(c, b),
    "gt_u": lambda a, c, b: a > c,
    "le_s": lambda a, c, b: signed(a, b) <= signed(c, b),
    "le_u": lambda a, c, b: a <= c,
    "ge_s": lambda a, c, b: signed(a, b) >= signed(c, b),
    "ge_u": lambda a, c, b: a >= c,
}

WIDTHS = [
    (32, "i32",
     [0, 1, 7, 31, 32, 33, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF],
     [0, 1, 0x81234567, 0xFFFFFFFF, 0x80000000]),
    (64, "i64",
     [0, 1, 13, 63, 64, 65, 0x7FFFFFFFFFFFFFFF, 0x8000000000000000, 0xFFFFFFFFFFFFFFFF],
     [0, 1, 0x0123456789ABCDEF, 0xFFFFFFFFFFFFFFFF, 0x8000000000000000]),
]


def main(path):
    funcs, asserts = [], []

    def func(name, t, result, body):
        funcs.append(f'  (func (export "{name}") (param $x {t}) (result {result}) {body})')

    def check(name, t, x, result_t, want):
        asserts.append(f'(assert_return (invoke "{name}" ({t}.const {x})) ({result_t}.const {want}))')

    for bits, t, consts, args in WIDTHS:
        mask = (1 << bits) - 1
        for op, f in BINOPS.items():
            for k in consts:
                name = f"{t}.{op}.k{k:x}"
                func(name, t, t, f"({t}.{op} (local.get $x) ({t}.const {signed(k, bits)}))")
                for x in args:
                    check(name, t, signed(x, bits), t, signed(f(x, k, bits) & mask, bits))
            if op in CONST_FIRST:
                k = consts[2]
                name = f"{t}.{op}.first.k{k:x}"
                func(name, t, t, f"({t}.{op} ({t}.const {signed(k, bits)}) (local.get $x))")
                for x in args:
                    check(name, t, signed(x, bits), t, signed(f(k, x, bits) & mask, bits))
        for cmp, f in COMPARES.items():
            for k in (consts[0], consts[1], consts[6], consts[7], consts[8]):
                for first in (False, True):
                    name = f"{t}.{cmp}.{'first.' if first else ''}k{k:x}"
                    kc, xv = f"({t}.const {signed(k, bits)})", "(local.get $x)"
                    test = f"({t}.{cmp} {kc} {xv})" if first else f"({t}.{cmp} {xv} {kc})"
                    func(name, t, "i32", test)
                    func("br." + name, t, "i32",
                         f"(block (br_if 0 {test}) (return (i32.const 0))) (i32.const 1)")
                    func("if." + name, t, "i32",
                         f"(if (result i32) {test} (then (i32.const 1)) (else (i32.const 0)))")
                    for x in args:
                        want = int(f(k, x, bits) if first else f(x, k, bits))
                        for prefix in ("", "br.", "if."):
                            check(prefix + name, t, signed(x, bits), "i32", want)

    with open(path, "w") as out:
        out.write("(module\n" + "\n".join(funcs) + "\n)\n" + "\n".join(asserts) + "\n")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: immediate_forms.py OUT.wast")
    main(sys.argv[1])
