"""Python expressions as canonical nodes (canon.py, spellings.py): what each value is, not how it was spelled.

A local name stands for the value last assigned to it (temporaries are inlined), a parameter for its
position, `self.W` for the attribute (a student's own attribute name is `self.?`: it may be renamed),
a module's name for itself. A call of a function the student added (at the top of the file or in the
class) is inlined: its return value over the call's arguments.
"""
import ast
from dataclasses import dataclass, field

from teacher.similarity import spellings

BINARY = {ast.Add: 'add', ast.Sub: 'sub', ast.Mult: 'mul', ast.Div: 'div', ast.Pow: 'pow'}
COMPARE = {ast.Gt: 'gt', ast.GtE: 'ge', ast.Lt: 'lt', ast.LtE: 'le', ast.Eq: 'eq', ast.NotEq: 'ne',
           ast.Is: 'eq', ast.IsNot: 'ne', ast.In: 'in', ast.NotIn: 'notin'}
NUMPY_CONSTANTS = {'np.newaxis': None, 'np.pi': 3.141592653589793, 'np.e': 2.718281828459045, 'np.inf': float('inf')}
MAX_INLINE_DEPTH = 3


@dataclass
class Context:
    """What a file's code means beyond a function: numpy's names, the release's attributes, the helpers."""
    numpy: dict = field(default_factory=dict)       # local name -> 'np' or 'np.exp' (from numpy import exp)
    attributes: set = field(default_factory=set)   # attribute names the release's file uses
    helpers: dict = field(default_factory=dict)    # function name (or Class.method) the student added -> FunctionDef
    constants: dict = field(default_factory=dict)  # the student's own top-level NAME = constant


@dataclass
class State:
    """One path through a function: names, where each came from, the attributes set, the outputs."""
    env: dict = field(default_factory=dict)
    origin: dict = field(default_factory=dict)     # name -> the node it is a view of (an argument, an attribute)
    attrs: dict = field(default_factory=dict)      # self's attributes set so far
    outputs: dict = field(default_factory=dict)    # key ('return', 'self.W', 'mut:…', 'effect:…') -> node
    returned: bool = False

    def copy(self):
        return State(dict(self.env), dict(self.origin), dict(self.attrs), dict(self.outputs), self.returned)


class Evaluator:
    """Expressions to nodes, in a State, for the class `owner` (None at the top level)."""

    def __init__(self, graph, context, owner=None, depth=0):
        self.graph, self.context, self.owner, self.depth = graph, context, owner, depth

    def expr(self, node, state):
        method = getattr(self, '_' + type(node).__name__, None)
        if method is not None:
            return method(node, state)
        children = [self.expr(child, state) for child in ast.iter_child_nodes(node) if isinstance(child, ast.expr)]
        return self.graph.node(type(node).__name__, *children)

    def _Constant(self, node, state):
        return self.graph.const(node.value)

    def _Name(self, node, state):
        if node.id in state.env:
            return state.env[node.id]
        if node.id in self.context.constants:
            return self.graph.const(self.context.constants[node.id])
        return self.graph.leaf('g:' + self.context.numpy.get(node.id, node.id))

    def dotted(self, node):
        """'np.add.reduce' for a chain of attributes on numpy's name, else None."""
        if isinstance(node, ast.Name):
            return self.context.numpy.get(node.id)
        if isinstance(node, ast.Attribute):
            base = self.dotted(node.value)
            return base and base + '.' + node.attr
        return None

    def attribute_key(self, name):
        return 'self.' + (name if name in self.context.attributes else '?')

    def _Attribute(self, node, state):
        name = self.dotted(node)
        if name is not None:
            return self.graph.const(NUMPY_CONSTANTS[name]) if name in NUMPY_CONSTANTS else self.graph.leaf('g:' + name)
        if isinstance(node.value, ast.Name) and node.value.id == 'self' and 'self' not in state.env:
            return state.attrs.get(node.attr) or self.graph.leaf(self.attribute_key(node.attr))
        value = self.expr(node.value, state)
        if value == self.graph.leaf('g:self'):   # the caller's self handed to a helper: f(self) reads self.W
            return state.attrs.get(node.attr) or self.graph.leaf(self.attribute_key(node.attr))
        if node.attr == 'T':
            return spellings.transpose(self.graph, value)
        return self.graph.node('attr:' + node.attr, value)

    def _BinOp(self, node, state):
        a, b = self.expr(node.left, state), self.expr(node.right, state)
        if isinstance(node.op, ast.MatMult):
            return self.graph.node('matmul', a, b)
        if type(node.op) in BINARY:
            return getattr(self.graph, BINARY[type(node.op)])(a, b)
        return self.graph.node(type(node.op).__name__, a, b)

    def _UnaryOp(self, node, state):
        value = self.expr(node.operand, state)
        if isinstance(node.op, ast.USub):
            return self.graph.neg(value)
        return value if isinstance(node.op, ast.UAdd) else self.graph.node(type(node.op).__name__, value)

    def _Compare(self, node, state):
        values = [self.expr(v, state) for v in [node.left, *node.comparators]]
        parts = [self.graph.compare(COMPARE.get(type(op), type(op).__name__), a, b)
                 for op, a, b in zip(node.ops, values, values[1:])]
        return parts[0] if len(parts) == 1 else self.graph.node('and', *parts)

    def _Subscript(self, node, state):
        value, index = self.expr(node.value, state), self.expr(node.slice, state)
        if self.graph.op(value) == 'shape':
            return self.graph.node('dim', self.graph.children(value)[0], index)
        if self.graph.op(index) == 'tuple' and len(self.graph.children(index)) == 2 \
                and self.graph.op(self.graph.children(index)[1]) == 'c:None':
            kept = spellings.keep_dims(self.graph, value)
            if kept is not None and self.graph.op(self.graph.children(index)[0]) == 'slice':
                return kept
        return self.graph.node('getitem', value, index)

    def _Slice(self, node, state):
        parts = [self.expr(p, state) if p is not None else self.graph.const(None)
                 for p in (node.lower, node.upper, node.step)]
        return self.graph.node('slice', *parts)

    def _Tuple(self, node, state):
        return self.graph.node('tuple', *(self.expr(e, state) for e in node.elts))

    _List = _Tuple

    def _Call(self, node, state):
        keywords = {k.arg: self.expr(k.value, state) for k in node.keywords if k.arg and k.arg != 'out'}
        args = [self.expr(a, state) for a in node.args if not isinstance(a, ast.Starred)]
        helper = self.helper(node.func, state)
        if helper is not None:
            return self.inline(helper, args, keywords, state)
        name = self.dotted(node.func)
        if name is None and isinstance(node.func, ast.Name) and node.func.id not in state.env:
            name = node.func.id
        if name is None and isinstance(node.func, ast.Attribute):
            receiver = node.func.value
            if isinstance(receiver, ast.Name) and receiver.id == 'self':
                name = 'self.' + node.func.attr
            else:
                name, args = 'method:' + node.func.attr, [self.expr(receiver, state), *args]
        if name is None:
            return self.graph.node('call', self.expr(node.func, state), *args)
        if name == 'method:reshape' and len(args) == 3 and [self.graph.number(a) for a in args[1:]] == [-1, 1]:
            kept = spellings.keep_dims(self.graph, args[0])
            if kept is not None:
                return kept
        return spellings.call(self.graph, name, args, keywords)

    def helper(self, func, state):
        """The FunctionDef the call's target names when the student added it (and inlining is allowed)."""
        if self.depth >= MAX_INLINE_DEPTH:
            return None
        if isinstance(func, ast.Name) and func.id not in state.env:
            return self.context.helpers.get(func.id)
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == 'self':
            return self.context.helpers.get(f'{self.owner}.{func.attr}')
        return None

    def inline(self, function, args, keywords, state):
        """The helper's return value over the call's arguments; what it sets on self is set here too
        (`call` is the statements' runner's, execute.Executor, which this class is the base of)."""
        inner = type(self)(self.graph, self.context, self.owner, self.depth + 1, budget=self.budget)
        return inner.call(function, args, keywords, state)

    def _IfExp(self, node, state):
        test, body, orelse = node.test, node.body, node.orelse
        while isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
            test, body, orelse = test.operand, orelse, body
        if isinstance(test, ast.Constant):   # folded: `x if True else y` is x
            return self.expr(body if test.value else orelse, state)
        return self.graph.node('if', *(self.expr(p, state) for p in (test, body, orelse)))

    def _Lambda(self, node, state):
        inner = state.copy()
        for i, arg in enumerate(node.args.args):
            inner.env[arg.arg] = self.graph.leaf(f'larg{i}')
        return self.graph.node('lambda', self.expr(node.body, inner))

    def _ListComp(self, node, state):
        inner, parts = state.copy(), []
        for generator in node.generators:
            source = self.expr(generator.iter, inner)
            self.bind(generator.target, self.graph.node('iter', source), inner)
            parts += [source] + [self.expr(cond, inner) for cond in generator.ifs]
        return self.graph.node('comp', self.expr(node.elt, inner), *parts)

    _GeneratorExp = _SetComp = _ListComp

    def bind(self, target, value, state):
        """A loop's or comprehension's target names bound to `value` (a tuple target: its items)."""
        if isinstance(target, ast.Name):
            state.env[target.id] = value
            state.origin.pop(target.id, None)
        elif isinstance(target, (ast.Tuple, ast.List)):
            for i, element in enumerate(target.elts):
                self.bind(element, self.graph.node('item', value, self.graph.const(i)), state)
