"""Values as canonical expressions: one node per distinct value, whatever the spelling that made it.

A node is a digest (an int, stable across runs) of its operation and its children's digests, kept
once in a `Graph` (hash-consed: the same expression anywhere is the same node). The constructors
canonicalize as they build, so the normal form falls out of building:

    a - b  -> add(a, mul(-1, b))          a / b -> mul(a, pow(b, -1))        x * x -> pow(x, 2)
    add and mul are flattened, their operands sorted by digest, constants folded (1, 1.0 alike);
    a product of a sum is expanded while it stays small: (y - t) / N == y / N - t / N.

Leaves carry what a value *is* to the function: `arg0` (its first parameter after self), `self.W` (an
attribute the release knows; a student's own attribute is `self.?`), `g:accuracy` (a name of the
release), `c:0.5` (a constant), `given:…` (a value the release's own code computed: opaque).
"""
import hashlib

COMMUTATIVE = {'add', 'mul', 'np.maximum', 'np.minimum', 'eq', 'ne', 'and', 'or', 'np.logical_and',
               'np.logical_or'}
MAX_EXPANDED_TERMS = 6


def _digest(text):
    return int.from_bytes(hashlib.blake2b(text.encode('utf-8', 'replace'), digest_size=8).digest(), 'big')


class Graph:
    """The nodes of one cohort: digest -> (op, children, height)."""

    def __init__(self):
        self.nodes = {}

    def node(self, op, *children):
        """The node for `op` over `children` (digests), as given (no canonicalization)."""
        if op in COMMUTATIVE:
            children = tuple(sorted(children))
        key = _digest(op + '(' + ','.join(format(c, 'x') for c in children) + ')')
        if key not in self.nodes:
            height = 1 + max((self.nodes[c][2] for c in children), default=-1)
            self.nodes[key] = (op, tuple(children), height)
        return key

    def leaf(self, text):
        return self.node(str(text))

    def const(self, value):
        """A constant: numbers as floats (1 and 1.0 alike, 12 significant digits), others by repr."""
        if isinstance(value, bool) or value is None or not isinstance(value, (int, float)):
            return self.leaf('c:' + repr(value))
        return self.leaf('c:' + format(float(value), '.12g'))

    def number(self, key):
        """The float of a numeric constant node, else None."""
        op = self.nodes[key][0]
        if op.startswith('c:'):
            try:
                return float(op[2:])
            except ValueError:
                return None
        return None

    def op(self, key):
        return self.nodes[key][0]

    def children(self, key):
        return self.nodes[key][1]

    def height(self, key):
        return self.nodes[key][2]

    # ------------------------------------------------------------ arithmetic in normal form

    def _terms(self, op, items):
        flat = []
        for item in items:
            flat.extend(self.children(item) if self.op(item) == op else (item,))
        return flat

    def add(self, *items):
        terms, total = [], 0.0
        for term in self._terms('add', items):
            value = self.number(term)
            if value is None:
                terms.append(term)
            else:
                total += value
        if total or not terms:
            terms.append(self.const(total))
        return terms[0] if len(terms) == 1 else self.node('add', *terms)

    def neg(self, item):
        return self.mul(self.const(-1.0), item)

    def sub(self, a, b):
        return self.add(a, self.neg(b))

    def mul(self, *items):
        factors, coefficient, powers = [], 1.0, {}
        for factor in self._terms('mul', items):
            value = self.number(factor)
            if value is not None:
                coefficient *= value
                continue
            base, exponent = factor, 1.0
            if self.op(factor) == 'pow' and self.number(self.children(factor)[1]) is not None:
                base, exponent = self.children(factor)[0], self.number(self.children(factor)[1])
            powers[base] = powers.get(base, 0.0) + exponent
        factors = [base if exponent == 1 else self.pow(base, self.const(exponent))
                   for base, exponent in powers.items() if exponent != 0]
        sums = [f for f in factors if self.op(f) == 'add']
        if sums and self._expanded_size(factors) <= MAX_EXPANDED_TERMS:
            return self._expand(factors, coefficient)
        if coefficient != 1 or not factors:
            factors.append(self.const(coefficient))
        return factors[0] if len(factors) == 1 else self.node('mul', *factors)

    def _expanded_size(self, factors):
        size = 1
        for factor in factors:
            size *= len(self.children(factor)) if self.op(factor) == 'add' else 1
        return size

    def _expand(self, factors, coefficient):
        """coefficient · Π factors with every sum multiplied out."""
        products = [[self.const(coefficient)]]
        for factor in factors:
            terms = self.children(factor) if self.op(factor) == 'add' else (factor,)
            products = [product + [term] for product in products for term in terms]
        return self.add(*(self.mul(*product) for product in products))

    def div(self, a, b):
        return self.mul(a, self.pow(b, self.const(-1.0)))

    def pow(self, base, exponent):
        b, e = self.number(base), self.number(exponent)
        if e is not None:
            if e == 1:
                return base
            if b is not None:
                try:
                    return self.const(b ** e)
                except (OverflowError, ZeroDivisionError, ValueError):
                    pass
            if self.op(base) == 'pow' and self.number(self.children(base)[1]) is not None:
                return self.pow(self.children(base)[0], self.const(e * self.number(self.children(base)[1])))
        return self.node('pow', base, exponent)

    def compare(self, op, a, b):
        """a > b and b < a alike (`gt`, `ge`); == and != with sorted operands."""
        flipped = {'lt': 'gt', 'le': 'ge'}
        if op in flipped:
            op, a, b = flipped[op], b, a
        return self.node(op, a, b)
