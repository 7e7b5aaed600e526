"""_sympy_bridge: merging redundant constants, and sympy steps that cannot hang their caller."""

import threading

import sympy

from symtorch_lab._sympy_bridge import merge_constants, run_bounded, sympy_to_tree

a, b, c, d, s, u, x, y = sympy.symbols("a b c d s u x y")


def test_merge_pulls_the_common_factor_of_a_sum_into_the_coefficient():
    merged = merge_constants(0.4482 * u / (0.8963 * s + 0.8963))
    coeff, rest = merged.as_coeff_Mul()
    assert rest == u / (s + 1)
    assert abs(float(coeff) - 0.4482 / 0.8963) < 1e-12
    merged = merge_constants(0.05 * a * b * (19.7 / c - 19.7 / d))
    assert merged.as_coeff_Mul()[1] == a * b * (1 / c - 1 / d)
    # the factor that leaves the other coefficients whole: 2*(x + 2*y), not 4*(x/2 + y)
    assert merge_constants(0.3 * a * (2.0 * x + 4.0 * y)).as_coeff_Mul()[1] == a * (x + 2 * y)


def test_merge_leaves_exact_sums_and_lone_sums_alone():
    assert merge_constants(a * (2 * x + 4)) == a * (2 * x + 4)
    assert merge_constants(2.5 * x + 1.5 * y) == 2.5 * x + 1.5 * y


def test_reciprocal_reads_as_a_division_or_as_inv():
    names = ("c", "d")
    assert sympy_to_tree(1 / c, names) == ("div", ("const", 1.0), ("var", 0))
    assert sympy_to_tree(1 / c, names, reciprocal="inv") == ("inv", ("var", 0))
    # u*(1/2)/(s + 1): the 2 joins the denominator
    half = sympy.Float(0.5) * u / (s + 1)
    assert sympy_to_tree(half, ("u", "s")) == (
        "div", ("var", 0), ("add", ("mul", ("const", 2.0), ("var", 1)), ("const", 2.0))
    )  # fmt: skip


def test_an_overdue_step_is_interrupted_not_left_running():
    started = threading.Event()

    def spin():
        started.set()
        while True:
            pass

    assert run_bounded(spin, 0.2) is None
    assert started.is_set()
    workers = [t for t in threading.enumerate() if t.name == "symtorch-sympy"]
    for t in workers:
        t.join(10)
    assert not any(t.is_alive() for t in workers)
    assert run_bounded(lambda: sympy.expand((x + 1) ** 2), 10) == x**2 + 2 * x + 1
