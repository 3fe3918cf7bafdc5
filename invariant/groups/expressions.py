"""Representation expressions: the language of ``--input``/``--output``, parsed, printed, and their characters.

Grammar (spaces are free; ``+`` binds loosest, then ``x``, then the multiplicity ``m*``)::

    sum     := product ("+" product)*
    product := factor ("x" factor)*
    factor  := INT "*" factor | atom
    atom    := "V" [INT] ["*"] | "1" | "det" | "T(" INT ["," INT] ")"
             | "Sym(" INT "," sum ")" | "Alt(" INT "," sum ")" | "(" sum ")"

``V`` is the defining representation (of a permutation group: its permutation
representation; in a product of groups ``V1``, ``V2``, … name the factors, 1-based), ``V*`` its
dual, ``1`` the trivial representation, ``det`` the determinant, ``T(k)`` = V^⊗k, ``T(p,q)`` =
V^⊗p ⊗ V*^⊗q, ``Sym(k,R)`` and ``Alt(k,R)`` the symmetric and exterior powers, ``R + S`` the
direct sum, ``R x S`` the tensor product and ``m*R`` m copies (how channels generalize).

**Characters.** Every character is a polynomial in the power sums p_r(g) = tr(g^r) of the
defining representation (r < 0: of its dual, tr(g^{-|r|})) and in det g, which is why one
expression serves every kind of group: a permutation group evaluates p_r(g) = fix(g^r) and
det g = sgn g; a Lie group evaluates them as Laurent polynomials on its maximal torus. The
rules are χ_{R+S} = χ_R + χ_S, χ_{R⊗S} = χ_R χ_S, χ_{m*R} = m χ_R, and for the powers

    χ_{Sym^k R} = Σ_{λ ⊢ k} z_λ^{-1} Π_i ψ^{λ_i} χ_R,     χ_{Alt^k R} = Σ_{λ ⊢ k} ε_λ z_λ^{-1} Π_i ψ^{λ_i} χ_R,

with ψ^r the Adams operation (p_j ↦ p_{rj}, det ↦ det^r), z_λ = Π_i i^{m_i} m_i! and
ε_λ = (−1)^{k − ℓ(λ)} (Newton's identities / the cycle index of S_k).

>>> e = parse("2*Sym(2, V + 1) x det")
>>> str(e), e.dimension(4)
('2*Sym(2,V + 1) x det', 30)
>>> parse(str(e)) == e
True
>>> str(parse("T(2,1)")), parse("Alt(3,V)").dimension(5)
('T(2,1)', 10)
>>> parse("V*x V").character(lambda r, f: 3, lambda f: 1)   # fix = 3 at the identity of S_3
Fraction(9, 1)
"""

from __future__ import annotations

import math
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from ..errors import InvariantError

#: An expression has at most this many characters ...
MAX_EXPRESSION_LENGTH = 1_000
#: ... nests at most this deep ...
MAX_DEPTH = 16
#: ... and its powers (T(p,q), Sym, Alt) have degree at most this (characters sum over λ ⊢ k).
MAX_POWER = 16
#: A multiplicity or factor index is at most this.
MAX_INTEGER = 10**6
#: A character is evaluated with at most this many atom evaluations (nested powers multiply).
MAX_COST = 100_000

#: A power sum p(r, factor) (r ≠ 0; r < 0 for the dual) and det(factor), both in any ring.
PowerSum = Callable[[int, int], Any]
Determinant = Callable[[int], Any]


class Expression(ABC):
    """A node of a representation expression (frozen; equal when structurally equal)."""

    @abstractmethod
    def character(self, p: PowerSum, det: Determinant, adams: int = 1) -> Any:
        """ψ^adams χ, a polynomial in ``p`` and ``det`` (see the module docstring)."""

    def cost(self) -> int:
        """How many atom evaluations :meth:`character` makes (the powers multiply it)."""
        return 1

    def precedence(self) -> int:
        """3 atom, 2 multiplicity, 1 tensor product, 0 sum (for printing with minimal parentheses)."""
        return 3

    def factors(self) -> Iterator[int]:
        """The factor indices named by V1, V2, … (0 for a bare V)."""
        return iter(())

    def dimension(self, n: int | tuple[int, ...]) -> int:
        """dim R: the character at the identity (p_r = n_f, det = 1) of each factor f."""
        sizes = (n,) if isinstance(n, int) else n
        value = self.character(lambda r, f: sizes[max(f - 1, 0)], lambda f: 1)
        return int(value)


@dataclass(frozen=True)
class Defining(Expression):
    """V (``factor`` 0), or V_f of a product's factor f ≥ 1; ``dual``: V*."""

    factor: int = 0
    dual: bool = False

    def __str__(self) -> str:
        return f"V{self.factor or ''}{'*' if self.dual else ''}"

    def character(self, p, det, adams=1):
        return p(-adams if self.dual else adams, self.factor)

    def factors(self):
        yield self.factor


@dataclass(frozen=True)
class Trivial(Expression):
    """1, the trivial representation."""

    def __str__(self) -> str:
        return "1"

    def character(self, p, det, adams=1):
        return Fraction(1)


@dataclass(frozen=True)
class Det(Expression):
    """det, the determinant of the defining representation (of a permutation group: the sign)."""

    def __str__(self) -> str:
        return "det"

    def character(self, p, det, adams=1):
        return det(0) ** adams


@dataclass(frozen=True)
class Tensor(Expression):
    """T(p,q) = V^⊗p ⊗ V*^⊗q (T(k) = T(k,0))."""

    covariant: int
    contravariant: int = 0

    def __str__(self) -> str:
        return f"T({self.covariant})" if not self.contravariant else f"T({self.covariant},{self.contravariant})"

    def character(self, p, det, adams=1):
        value: Any = Fraction(1)
        for _ in range(self.covariant):
            value = value * p(adams, 0)
        for _ in range(self.contravariant):
            value = value * p(-adams, 0)
        return value

    def factors(self):
        yield 0


@dataclass(frozen=True)
class Power(Expression):
    """Sym(k,R) (``alternating`` False) or Alt(k,R)."""

    degree: int
    base: Expression
    alternating: bool = False

    def __str__(self) -> str:
        return f"{'Alt' if self.alternating else 'Sym'}({self.degree},{self.base})"

    def cost(self) -> int:
        return self.base.cost() * max(1, sum(len(parts) for parts in _partitions(self.degree)))

    def character(self, p, det, adams=1):
        k = self.degree
        total: Any = Fraction(0)
        for parts in _partitions(k):
            term: Any = Fraction(_sign(parts, k) if self.alternating else 1, _z(parts))
            for part in parts:
                term = term * self.base.character(p, det, adams * part)
            total = total + term
        return total

    def factors(self):
        return self.base.factors()


@dataclass(frozen=True)
class Sum(Expression):
    """R + S + … (direct sum)."""

    terms: tuple[Expression, ...]

    def __str__(self) -> str:
        return " + ".join(_wrap(t, 1) for t in self.terms)

    def cost(self) -> int:
        return sum(t.cost() for t in self.terms)

    def precedence(self) -> int:
        return 0

    def character(self, p, det, adams=1):
        total: Any = Fraction(0)
        for t in self.terms:
            total = total + t.character(p, det, adams)
        return total

    def factors(self):
        for t in self.terms:
            yield from t.factors()


@dataclass(frozen=True)
class Product(Expression):
    """R x S x … (tensor product)."""

    terms: tuple[Expression, ...]

    def __str__(self) -> str:
        return " x ".join(_wrap(t, 2) for t in self.terms)

    def cost(self) -> int:
        return sum(t.cost() for t in self.terms)

    def precedence(self) -> int:
        return 1

    def character(self, p, det, adams=1):
        value: Any = Fraction(1)
        for t in self.terms:
            value = value * t.character(p, det, adams)
        return value

    def factors(self):
        for t in self.terms:
            yield from t.factors()


@dataclass(frozen=True)
class Multiple(Expression):
    """m*R, m copies of R."""

    copies: int
    base: Expression

    def __str__(self) -> str:
        return f"{self.copies}*{_wrap(self.base, 2)}"

    def cost(self) -> int:
        return self.base.cost()

    def precedence(self) -> int:
        return 2

    def character(self, p, det, adams=1):
        return self.base.character(p, det, adams) * self.copies

    def factors(self):
        return self.base.factors()


def _wrap(e: Expression, least: int) -> str:
    return str(e) if e.precedence() >= least else f"({e})"


def _partitions(k: int, largest: int | None = None) -> Iterator[tuple[int, ...]]:
    """The partitions of k, parts non-increasing."""
    largest = k if largest is None else largest
    if k == 0:
        yield ()
        return
    for first in range(min(k, largest), 0, -1):
        for rest in _partitions(k - first, first):
            yield (first,) + rest


def _z(parts: tuple[int, ...]) -> int:
    """z_λ = Π_i i^{m_i} m_i!: the centralizer order of a permutation of cycle type λ."""
    out = 1
    for i in set(parts):
        m = parts.count(i)
        out *= i**m * math.factorial(m)
    return out


def _sign(parts: tuple[int, ...], k: int) -> int:
    return -1 if (k - len(parts)) % 2 else 1


_TOKEN = re.compile(r"\s*(?:(\d+)|(Sym|Alt|det|T|V|x)|([()+*,]))")


def parse(text: str) -> Expression:
    """Parse a representation expression; a one-line InvariantError says what and where is wrong."""
    if not isinstance(text, str):
        raise InvariantError(f"a representation expression is a string, got {type(text).__name__}")
    if len(text) > MAX_EXPRESSION_LENGTH:
        raise InvariantError(f"a representation expression has at most {MAX_EXPRESSION_LENGTH} characters")
    tokens: list[tuple[str, int]] = []
    pos = 0
    stripped = text.rstrip()
    while pos < len(stripped):
        m = _TOKEN.match(stripped, pos)
        if not m:
            raise InvariantError(f"unexpected {stripped[pos:pos + 10].strip()!r} in representation {_show(text)}")
        tokens.append((m.group(m.lastindex or 0), m.start(m.lastindex or 0)))
        pos = m.end()
    if not tokens:
        raise InvariantError("empty representation expression")
    parser = _Parser(tokens, text)
    out = parser.sum(0)
    if parser.i != len(tokens):
        raise InvariantError(f"unexpected {tokens[parser.i][0]!r} in representation {_show(text)}")
    if out.cost() > MAX_COST:
        raise InvariantError(
            f"representation {_show(text)} nests its powers too deeply: its character takes {out.cost()} "
            f"evaluations (limit {MAX_COST})"
        )
    return out


def _show(text: str) -> str:
    return repr(text if len(text) <= 60 else text[:57] + "...")


class _Parser:
    """Recursive descent over the tokens (see the grammar in the module docstring)."""

    def __init__(self, tokens: list[tuple[str, int]], text: str) -> None:
        self.tokens, self.text, self.i = tokens, text, 0

    def peek(self) -> str | None:
        return self.tokens[self.i][0] if self.i < len(self.tokens) else None

    def take(self, want: str | None = None) -> str:
        tok = self.peek()
        if tok is None:
            expected = f": expected {want!r}" if want else ""
            raise InvariantError(f"representation {_show(self.text)} ends early{expected}")
        if want is not None and tok != want:
            raise InvariantError(f"expected {want!r}, found {tok!r} in representation {_show(self.text)}")
        self.i += 1
        return tok

    def integer(self, what: str, low: int) -> int:
        tok = self.take()
        if not tok.isdigit():
            raise InvariantError(f"expected {what} (an integer), found {tok!r} in representation {_show(self.text)}")
        if len(tok) > 7 or not low <= int(tok) <= MAX_INTEGER:
            raise InvariantError(f"{what} must be an integer from {low} to {MAX_INTEGER}, got {tok[:12]}")
        return int(tok)

    def power(self, what: str, value: int) -> int:
        if value > MAX_POWER:
            raise InvariantError(f"{what} is limited to degree {MAX_POWER}, got {value}")
        return value

    def sum(self, depth: int) -> Expression:
        if depth > MAX_DEPTH:
            raise InvariantError(f"a representation expression nests at most {MAX_DEPTH} deep")
        terms = [self.product(depth)]
        while self.peek() == "+":
            self.take()
            terms.append(self.product(depth))
        return terms[0] if len(terms) == 1 else Sum(tuple(terms))

    def product(self, depth: int) -> Expression:
        terms = [self.factor(depth)]
        while self.peek() == "x":
            self.take()
            terms.append(self.factor(depth))
        return terms[0] if len(terms) == 1 else Product(tuple(terms))

    def factor(self, depth: int) -> Expression:
        if depth > MAX_DEPTH:
            raise InvariantError(f"a representation expression nests at most {MAX_DEPTH} deep")
        tok = self.peek()
        if tok is not None and tok.isdigit() and self.i + 1 < len(self.tokens) and self.tokens[self.i + 1][0] == "*":
            copies = self.integer("a multiplicity", 1)
            self.take("*")
            return Multiple(copies, self.factor(depth + 1))
        return self.atom(depth)

    def atom(self, depth: int) -> Expression:
        tok = self.take()
        if tok == "V":
            factor = self.integer("a factor index", 1) if (self.peek() or "").isdigit() else 0
            dual = self.peek() == "*"
            if dual:
                self.take()
            return Defining(factor, dual)
        if tok == "1":
            return Trivial()
        if tok == "det":
            return Det()
        if tok == "T":
            self.take("(")
            p = self.power("T(p,q)", self.integer("a tensor order", 0))
            q = 0
            if self.peek() == ",":
                self.take()
                q = self.power("T(p,q)", self.integer("a tensor order", 0))
            self.take(")")
            self.power("T(p,q)", p + q)
            return Tensor(p, q)
        if tok in ("Sym", "Alt"):
            self.take("(")
            k = self.power(f"{tok}(k,R)", self.integer("a power", 0))
            self.take(",")
            base = self.sum(depth + 1)
            self.take(")")
            return Power(k, base, tok == "Alt")
        if tok == "(":
            inner = self.sum(depth + 1)
            self.take(")")
            return inner
        raise InvariantError(f"unexpected {tok!r} in representation {_show(self.text)}")
