"""A function's statements run on canonical values: what it returns, sets on self and writes into its
arguments, each as an expression over its inputs (expressions.py).

Only the outputs remain, so a line whose value flows nowhere (a dead line) leaves no trace, the
order of independent statements is gone, and a temporary is its expression. In-place writes are
followed through views (`v = state['v']; v[...] = ...` writes the argument). Branches merge into
`if(test, a, b)` nodes, a loop into `loop(iterable, value after one pass)`. The release's own
statements (`given`) run too, so names keep their meaning, but what they compute is one opaque leaf
and none of it is an output: it is not the student's.
"""
import ast
import copy

from teacher.similarity.expressions import Evaluator, State

MAX_STATEMENTS = 20_000   # statements run for one function (an if that returns runs what follows twice)


class TooComplex(ValueError):
    """A function whose branches would take too long to follow: its file is compared by tokens."""


SKIPPED = (ast.Pass, ast.Assert, ast.Import, ast.ImportFrom, ast.Global, ast.Nonlocal, ast.Delete, ast.Break,
           ast.Continue)
FULL_INDEX = ('c:Ellipsis', 'slice')


class Executor(Evaluator):
    """Statements of one function into a State's outputs; `lines` gets (first line, last line, node)
    of each statement of the student's, for the report's highlighting."""

    def __init__(self, graph, context, owner=None, depth=0, given=frozenset(), lines=None, budget=None):
        super().__init__(graph, context, owner, depth)
        self.given, self.lines, self.in_given = given, lines if lines is not None else [], False
        self.budget = budget if budget is not None else [MAX_STATEMENTS]   # shared with the helpers inlined

    def run(self, function, state=None):
        """The State after the body of `function` (ast.FunctionDef); its parameters bound by position."""
        state = state or State()
        params = [a.arg for a in function.args.posonlyargs + function.args.args + function.args.kwonlyargs]
        for i, name in enumerate(p for p in params if p != 'self'):
            state.env[name] = self.graph.leaf(f'arg{i}')
            state.origin[name] = state.env[name]
        self.block(function.body, state)
        return state

    def call(self, function, args, keywords, caller):
        """An inlined helper's return value; its outputs other than the return become the caller's."""
        params, me = [a.arg for a in function.args.args], self.graph.leaf('g:self')
        if params[:1] == ['self'] and args[:1] != [me]:
            params = params[1:]     # a method, self.f(x); f(self, x) binds self as any argument
        state = State(attrs=caller.attrs, outputs=caller.outputs)
        for i, name in enumerate(params):
            state.env[name] = args[i] if i < len(args) else keywords.get(name, self.graph.leaf(f'default{i}'))
        returned = caller.outputs.pop('return', None)
        self.block(function.body, state)
        value = caller.outputs.pop('return', self.graph.const(None))
        if returned is not None:
            caller.outputs['return'] = returned
        return value

    def block(self, statements, state):
        for i, statement in enumerate(statements):
            if state.returned:
                return
            if isinstance(statement, ast.If) and self._returns(statement):
                self._split(statement, statements[i + 1:], state)
                return
            self.statement(statement, state)

    def statement(self, node, state):
        self.budget[0] -= 1
        if self.budget[0] < 0:
            raise TooComplex(f'line {node.lineno}: more than {MAX_STATEMENTS} statements to follow')
        outer, self.in_given = self.in_given, self.in_given or id(node) in self.given
        try:
            if not isinstance(node, SKIPPED) and not self._docstring(node):
                getattr(self, '_' + type(node).__name__, self._other)(node, state)
        finally:
            self.in_given = outer

    def _docstring(self, node):
        return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)

    def note(self, node, value):
        if not self.in_given and self.depth == 0:
            self.lines.append((node.lineno, getattr(node, 'end_lineno', node.lineno), value))

    def output(self, state, key, value):
        if not self.in_given:
            state.outputs[key] = value

    def opaque(self, value):
        """What the release's own code computed: one leaf, not the student's expression."""
        return self.graph.leaf('given:%x' % value) if self.in_given and self.graph.height(value) else value

    # ------------------------------------------------------------ statements

    def _Assign(self, node, state):
        value = self.opaque(self.expr(node.value, state))
        self.note(node, value)
        for target in node.targets:
            self.store(target, value, state, node.value)

    def _AnnAssign(self, node, state):
        if node.value is not None:
            value = self.opaque(self.expr(node.value, state))
            self.note(node, value)
            self.store(node.target, value, state, node.value)

    def _AugAssign(self, node, state):
        load = ast.copy_location(ast.BinOp(_as_load(node.target), node.op, node.value), node)
        value = self.opaque(self.expr(load, state))
        self.note(node, value)
        self.store(node.target, value, state, None, in_place=True)

    def _Return(self, node, state):
        value = self.expr(node.value, state) if node.value is not None else self.graph.const(None)
        self.note(node, value)
        self.output(state, 'return', value)
        state.returned = True

    def _Expr(self, node, state):
        call = node.value
        if isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == 'print':
            return
        value = self.expr(call, state)
        out = [k.value for k in getattr(call, 'keywords', ()) if k.arg == 'out']
        self.note(node, value)
        if out:
            self.store(out[0], value, state, None, in_place=True)
        elif self.helper(getattr(call, 'func', None), state) is None:
            self.output(state, 'effect:%x' % value, value)

    def _Raise(self, node, state):
        value = self.expr(node.exc, state) if node.exc is not None else self.graph.const(None)
        self.output(state, 'raise:%x' % value, self.graph.node('raise', value))
        state.returned = True

    def _If(self, node, state):
        self._branches(node, [], state)

    def _split(self, node, rest, state):
        """An if whose branch returns: each branch runs on with the statements after it, then merge."""
        state.returned = self._branches(node, rest, state) or state.returned

    def _branches(self, node, rest, state):
        """Both branches of an if, each followed by `rest`, merged into `state`; `if not c: a else b`
        is `if c: b else a`. True when both returned."""
        test, body, orelse = node.test, node.body, node.orelse
        while isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
            test, body, orelse = test.operand, orelse, body
        value = self.expr(test, state)
        self.note(node.test, value)
        branches = [state.copy(), state.copy()]
        self.block(body + rest, branches[0])
        self.block(orelse + rest, branches[1])
        self._merge(value, branches, state)
        return branches[0].returned and branches[1].returned

    def _merge(self, test, branches, state):
        missing = self.graph.const('<unset>')
        for part in ('env', 'attrs', 'outputs'):
            merged = getattr(state, part)
            for key in set(getattr(branches[0], part)) | set(getattr(branches[1], part)):
                a, b = (getattr(branch, part).get(key, missing) for branch in branches)
                merged[key] = a if a == b else self.graph.node('if', test, a, b)
        state.origin.update({k: v for b in branches for k, v in b.origin.items() if k not in state.origin})

    def _For(self, node, state):
        source = self.expr(node.iter, state)
        self.note(node, source)
        self._loop(self.graph.node('iter', source), source, node, state)

    def _While(self, node, state):
        test = self.expr(node.test, state)
        self.note(node, test)
        self._loop(None, test, node, state)

    def _loop(self, item, over, node, state):
        inner = state.copy()
        if item is not None:
            self.bind(node.target, item, inner)
        self.block(node.body, inner)
        for part in ('env', 'attrs', 'outputs'):
            before, after = getattr(state, part), getattr(inner, part)
            for key, value in after.items():
                if before.get(key) != value:
                    before[key] = self.graph.node('loop', over, value)
        self.block(node.orelse, state)

    def _With(self, node, state):
        self.block(node.body, state)

    def _Try(self, node, state):
        self.block(node.body + node.finalbody, state)

    def _FunctionDef(self, node, state):
        self.context.helpers.setdefault(node.name, node)

    def _other(self, node, state):
        self.output(state, 'stmt:' + type(node).__name__, self.graph.leaf(type(node).__name__))

    # ------------------------------------------------------------ stores

    def store(self, target, value, state, source, in_place=False):
        """Bind `target` to `value`; `source` is the assigned expression (a view when it names a value)."""
        if isinstance(target, ast.Name):
            if in_place and target.id in state.origin:
                self.output(state, 'mut:%x' % state.origin[target.id], value)
            elif not in_place:
                state.origin.pop(target.id, None)
                if isinstance(source, (ast.Name, ast.Attribute, ast.Subscript)):
                    origin = state.origin.get(source.id) if isinstance(source, ast.Name) else value
                    if origin is not None:
                        state.origin[target.id] = origin
            state.env[target.id] = value
        elif isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) and target.value.id == 'self':
            state.attrs[target.attr] = value
            self.output(state, self.attribute_key(target.attr), value)
        elif isinstance(target, ast.Subscript):
            base, index = self.expr(target.value, state), self.expr(target.slice, state)
            whole = self.graph.op(index) in FULL_INDEX and (self.graph.op(index) != 'slice' or all(
                self.graph.op(c) == 'c:None' for c in self.graph.children(index)))
            updated = value if whole else self.graph.node('setitem', base, index, value)
            self.store(target.value, updated, state, None, in_place=True)
        elif isinstance(target, (ast.Tuple, ast.List)):
            self._unpack(target, value, state, source)
        else:
            self.output(state, 'store:%x' % value, value)

    def _unpack(self, target, value, state, source):
        sources = source.elts if isinstance(source, (ast.Tuple, ast.List)) else [None] * len(target.elts)
        values = self.graph.children(value) if self.graph.op(value) == 'tuple' else []
        for i, element in enumerate(target.elts):
            part = values[i] if len(values) == len(target.elts) else self.graph.node('item', value, self.graph.const(i))
            self.store(element, part, state, sources[i] if len(sources) == len(target.elts) else None)

    @staticmethod
    def _returns(node):
        return any(isinstance(n, (ast.Return, ast.Raise)) for n in ast.walk(node))


def _as_load(target):
    """The target of `x op= v` read as an expression."""
    load = copy.deepcopy(target)
    for node in ast.walk(load):
        if hasattr(node, 'ctx'):
            node.ctx = ast.Load()
    return load
