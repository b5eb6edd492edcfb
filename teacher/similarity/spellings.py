"""numpy's many spellings of one value, as one canonical node (see canon.py).

    np.dot(a, b) == np.matmul(a, b) == a @ b == a.dot(b) == np.einsum('ij,jk->ik', a, b)
    np.sum(x, axis=0) == x.sum(0) == x.sum(axis=0) == np.add.reduce(x, 0) == sum(x) (builtin, over axis 0)
    np.multiply(a, b) == a * b;  np.square(x) == x ** 2;  np.sqrt(x) == x ** 0.5;  x.T == np.transpose(x)
    x.copy() == np.copy(x) == np.array(x) == x;  np.amax == np.max;  x.max(1)[:, None] == x.max(1, keepdims=True)

`call(graph, name, args, keywords)` takes the call's dotted name as written through numpy's aliases
('np.sum', or 'method:sum' for x.sum(...) with x first in args), the canonical nodes of its positional
arguments and a {keyword: node} dict, and returns the node; arguments equal to numpy's defaults are
dropped, so spelling a default out changes nothing.
"""
import re

# numpy function -> its parameters in order (the ones a student passes), for binding positionals
SIGNATURES = {
    'np.sum': ('a', 'axis', 'dtype', 'out', 'keepdims'), 'np.mean': ('a', 'axis', 'dtype', 'out', 'keepdims'),
    'np.max': ('a', 'axis', 'out', 'keepdims'), 'np.min': ('a', 'axis', 'out', 'keepdims'),
    'np.argmax': ('a', 'axis', 'out'), 'np.argmin': ('a', 'axis', 'out'),
    'np.prod': ('a', 'axis', 'dtype', 'out', 'keepdims'),
    'np.std': ('a', 'axis'), 'np.var': ('a', 'axis'), 'np.any': ('a', 'axis'), 'np.all': ('a', 'axis'),
    'np.matmul': ('a', 'b', 'out'), 'np.multiply': ('a', 'b', 'out'), 'np.add': ('a', 'b', 'out'),
    'np.subtract': ('a', 'b', 'out'), 'np.divide': ('a', 'b', 'out'), 'np.power': ('a', 'b', 'out'),
    'np.maximum': ('a', 'b', 'out'), 'np.minimum': ('a', 'b', 'out'), 'np.negative': ('a', 'out'),
    'np.exp': ('a', 'out'), 'np.log': ('a', 'out'), 'np.tanh': ('a', 'out'), 'np.abs': ('a', 'out'),
    'np.square': ('a', 'out'), 'np.sqrt': ('a', 'out'), 'np.reciprocal': ('a', 'out'), 'np.log1p': ('a', 'out'),
    'np.expm1': ('a', 'out'), 'np.where': ('condition', 'x', 'y'), 'np.clip': ('a', 'a_min', 'a_max', 'out'),
    'np.transpose': ('a', 'axes'), 'np.reshape': ('a', 'newshape'), 'np.copy': ('a',),
    'np.logaddexp': ('a', 'b', 'out'),
    'np.expand_dims': ('a', 'axis'), 'np.dot': ('a', 'b', 'out'), 'np.outer': ('a', 'b'), 'np.sign': ('a', 'out'),
}
DEFAULTS = {'axis': 'c:None', 'keepdims': 'c:False', 'out': 'c:None', 'dtype': 'c:None', 'axes': 'c:None'}
ALIASES = {'np.amax': 'np.max', 'np.amin': 'np.min', 'np.true_divide': 'np.divide', 'np.absolute': 'np.abs',
           'np.dot': 'np.matmul', 'np.add.reduce': 'np.sum', 'np.maximum.reduce': 'np.max',
           'np.asarray': 'np.copy', 'np.array': 'np.copy', 'np.ascontiguousarray': 'np.copy',
           'abs': 'np.abs', 'max': 'np.maximum', 'min': 'np.minimum'}
METHODS = {'sum', 'mean', 'max', 'min', 'argmax', 'argmin', 'prod', 'std', 'var', 'any', 'all', 'dot', 'copy',
           'transpose', 'reshape', 'clip'}
IDENTITY = {'np.copy', 'float', 'np.float64', 'np.float32', 'method:astype', 'method:copy'}
REDUCTIONS = {'np.sum', 'np.mean', 'np.max', 'np.min', 'np.prod'}


def call(graph, name, args, keywords):
    """The node of calling `name` (see the module's docstring) on nodes `args` and `keywords`."""
    if name.startswith('method:') and name[7:] in METHODS:
        name = 'np.' + name[7:]
    name = ALIASES.get(name, name)
    if name in IDENTITY and args:
        return args[0]
    if name == 'sum' and len(args) == 1:   # the builtin over an array: the sum over its first axis
        return _reduction(graph, 'np.sum', {'a': args[0], 'axis': graph.const(0.0)})
    if name == 'len' and len(args) == 1:
        return graph.node('dim', args[0], graph.const(0.0))
    if name == 'np.einsum' and args:
        return _einsum(graph, args) or _generic(graph, name, args, keywords)
    bound = _bind(graph, name, args, keywords)
    if bound is None:
        return _generic(graph, name, args, keywords)
    return _numpy(graph, name, bound)


def _bind(graph, name, args, keywords):
    """{parameter: node} with the defaults dropped, or None when the call does not fit the signature."""
    params = SIGNATURES.get(name)
    if params is None or len(args) > len(params) or set(keywords) - set(params):
        return None
    bound = dict(zip(params, args), **keywords)
    return {key: value for key, value in bound.items() if graph.op(value) != DEFAULTS.get(key)}


def _numpy(graph, name, bound):
    arithmetic = {'np.multiply': graph.mul, 'np.add': graph.add, 'np.subtract': graph.sub, 'np.divide': graph.div,
                  'np.power': graph.pow}
    if 'a' not in bound or (name in arithmetic and 'b' not in bound):
        return graph.node(name, *bound.values())
    a = bound['a']
    if name in arithmetic:
        return arithmetic[name](a, bound['b'])
    simple = {'np.negative': lambda: graph.neg(a), 'np.square': lambda: graph.pow(a, graph.const(2.0)),
              'np.sqrt': lambda: graph.pow(a, graph.const(0.5)),
              'np.reciprocal': lambda: graph.pow(a, graph.const(-1.0)),
              'np.matmul': lambda: graph.node('matmul', a, bound['b']) if 'b' in bound else None}
    if name in simple and simple[name]() is not None:
        return simple[name]()
    if name == 'np.transpose' and 'axes' not in bound:
        return transpose(graph, a)
    if name in REDUCTIONS:
        return _reduction(graph, name, bound)
    rest = [bound[p] for p in SIGNATURES[name] if p in bound and p not in ('a', 'out')]
    return graph.node(name, a, *rest)


def _reduction(graph, name, bound):
    """A reduction with its axis and keepdims as children; the axis of 1 and -1 alike (2-D arrays)."""
    axis = bound.get('axis', graph.const(None))
    if graph.number(axis) == -1:
        axis = graph.const(1.0)
    return graph.node(name, bound['a'], axis, bound.get('keepdims', graph.const(False)))


def keep_dims(graph, value):
    """R with keepdims=True when `value` is a reduction R without it (x.max(1)[:, None]), else None."""
    op, children = graph.op(value), graph.children(value)
    if op in REDUCTIONS and graph.op(children[2]) == 'c:False' and graph.op(children[1]) != 'c:None':
        return graph.node(op, children[0], children[1], graph.const(True))
    return None


def transpose(graph, a):
    if graph.op(a) == 'T':
        return graph.children(a)[0]
    return graph.node('T', a)


def _generic(graph, name, args, keywords):
    return graph.node('call:' + name, *args, *(graph.node('kw:' + k, v) for k, v in sorted(keywords.items())))


EINSUM = re.compile(r'^\s*([a-z]+)\s*(?:,\s*([a-z]+))?\s*->\s*([a-z]*)\s*$')


def _einsum(graph, args):
    """np.einsum of one or two 2-D operands as the matmul, product or sum it is; None for others."""
    spec = graph.op(args[0])
    match = EINSUM.match(spec[3:-1]) if spec.startswith("c:'") else None
    if not match:
        return None
    left, right, out = match.groups()
    if right is None and len(args) == 2 and len(left) == 2 and len(out) <= 1:
        axis = None if not out else float(left.index(out) ^ 1)
        return _reduction(graph, 'np.sum', {'a': args[1], 'axis': graph.const(axis)})
    if right is None or len(args) != 3 or len(left) != 2 or len(right) != 2:
        return None
    a, b = args[1], args[2]
    if left == right == out:
        return graph.mul(a, b)
    shared = set(left) & set(right)
    if len(shared) != 1 or len(out) != 2 or set(out) != set(left + right) - shared:
        return None
    k = shared.pop()
    a = a if left[1] == k else transpose(graph, a)      # a as (i, k)
    b = b if right[0] == k else transpose(graph, b)     # b as (k, j)
    product = graph.node('matmul', a, b)
    return product if out[0] in left else transpose(graph, product)
