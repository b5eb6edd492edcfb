"""The disguises of the similarity corpus, one transform each on an answer's syntax tree (ast.NodeTransformer):
(function, module, rng, owner) -> (function, module), `function` the answer as the function it answers,
`module` the student's helpers, `owner` a prefix for the names of helpers a transform adds.
tests/similarity_disguise.py applies them; tests/test_similarity_corpus.py checks each keeps the numbers."""
import ast
import copy

from similarity_ast import Rename, all_names, blocks, chain, fresh, local_names, replace_node, stored

PURE_METHODS = {'sum', 'max', 'min', 'mean', 'copy', 'reshape', 'dot', 'astype', 'argmax', 'transpose', 'clip',
                'ravel', 'T'}
MUTATING_NP = {'copyto', 'put_along_axis', 'putmask', 'at'}
PURE_BUILTINS = {'len', 'float', 'int', 'range', 'abs', 'enumerate'}
SUM_LIKE = {'sum', 'max', 'mean'}


def rename(function, module, rng, owner=''):
    """Every local of the answer, and every helper with its parameters, gets another name."""
    taken, params = all_names(function, module), {a.arg for a in function.args.args}
    helpers = [n for n in module.body if isinstance(n, ast.FunctionDef)]
    names = {helper.name: fresh(taken, rng, f'_{owner}_') for helper in helpers}
    function = Rename({**names, **{name: fresh(taken, rng) for name in sorted(stored(function) - params)}}
                       ).visit(function)
    for helper in helpers:   # each helper's own names, and the helpers' names everywhere in the module
        inner = {name: fresh(taken, rng) for name in sorted(local_names(helper))}
        Rename(inner).visit(helper)
    return function, Rename(names).visit(module)


def layout(function, module, rng, owner=''):
    """Nothing on the tree: ast.unparse drops the comments, and `compact` (in `disguise`) redoes the spacing."""
    return function, module


def _pure_call(call):
    func = call.func
    if any(k.arg == 'out' for k in call.keywords):
        return False
    if isinstance(func, ast.Name):
        return func.id in PURE_BUILTINS
    if isinstance(func, ast.Attribute):
        if chain(func) and chain(func).startswith('np.'):
            return func.attr not in MUTATING_NP
        return func.attr in PURE_METHODS
    return False


def _effects(stmt):
    """(reads, writes) of a statement whose only effect is binding names or self's attributes, else None."""
    if not isinstance(stmt, ast.Assign):
        return None
    targets = [t for target in stmt.targets for t in (target.elts if isinstance(target, ast.Tuple) else [target])]
    writes = {chain(t) for t in targets}
    if None in writes or any(isinstance(n, ast.Call) and not _pure_call(n) for n in ast.walk(stmt.value)):
        return None
    reads = {c for n in ast.walk(stmt.value) if isinstance(n, (ast.Name, ast.Attribute)) and (c := chain(n))}
    return reads, writes


def _conflict(first, second):
    def touches(a, b):
        return a == b or a.startswith(b + '.') or b.startswith(a + '.')
    return any(touches(a, b) for a in first for b in second)


def reorder(function, module, rng, owner=''):
    """Adjacent statements that do not depend on each other swap places."""
    for block in list(blocks(function)):
        i = 0
        while i < len(block) - 1:
            a, b = _effects(block[i]), _effects(block[i + 1])
            if a and b and not (_conflict(a[1], b[0]) or _conflict(b[1], a[0]) or _conflict(a[1], b[1])):
                block[i], block[i + 1] = block[i + 1], block[i]
                i += 2
            else:
                i += 1
    return function, module


class _DotMatmul(ast.NodeTransformer):
    def visit_Call(self, node):
        self.generic_visit(node)
        func = node.func
        if chain(func) == 'np.dot' and len(node.args) == 2 and not node.keywords:
            return ast.BinOp(node.args[0], ast.MatMult(), node.args[1])
        if isinstance(func, ast.Attribute) and func.attr == 'dot' and chain(func) != 'np.dot' \
                and len(node.args) == 1 and not node.keywords:
            return ast.BinOp(func.value, ast.MatMult(), node.args[0])
        return node

    def visit_BinOp(self, node):
        self.generic_visit(node)
        if isinstance(node.op, ast.MatMult):
            return ast.Call(ast.Attribute(ast.Name('np', ast.Load()), 'dot', ast.Load()), [node.left, node.right], [])
        return node


def dot_matmul(function, module, rng, owner=''):
    """np.dot(a, b) and a.dot(b) become a @ b; a @ b becomes np.dot(a, b)."""
    swap = _DotMatmul()
    return swap.visit(function), swap.visit(module)


class _SumMethod(ast.NodeTransformer):
    def visit_Call(self, node):
        self.generic_visit(node)
        func = node.func
        if not isinstance(func, ast.Attribute) or func.attr not in SUM_LIKE:
            return node
        arrays = (ast.Name, ast.Attribute, ast.Subscript, ast.Call, ast.BinOp, ast.UnaryOp)   # not np.max(0, x)
        if chain(func) == f'np.{func.attr}' and node.args and isinstance(node.args[0], arrays):   # np.sum(x, axis=0)
            axis = [k for k in node.keywords if k.arg == 'axis']
            rest = [k for k in node.keywords if k.arg != 'axis']
            args = node.args[1:] + ([axis[0].value] if axis and len(node.args) == 1 else [])
            return ast.Call(ast.Attribute(node.args[0], func.attr, ast.Load()), args, rest if axis else node.keywords)
        if isinstance(func.value, (ast.Name, ast.Attribute, ast.Subscript, ast.Call)) and chain(func.value) != 'np':
            return ast.Call(ast.Attribute(ast.Name('np', ast.Load()), func.attr, ast.Load()),
                            [func.value, *node.args], node.keywords)
        return node


def sum_method(function, module, rng, owner=''):
    """np.sum(x, axis=0) becomes x.sum(0) and x.sum(axis=0) np.sum(x, axis=0) (also max and mean)."""
    swap = _SumMethod()
    return swap.visit(function), swap.visit(module)


def _hoistable(node):
    return isinstance(node, (ast.Call, ast.BinOp)) and not any(
        isinstance(n, (ast.IfExp, ast.BoolOp, ast.Lambda, ast.comprehension, ast.NamedExpr)) for n in ast.walk(node))


def split_temporaries(function, module, rng, owner=''):
    """In each top-level assignment or return, one inner call or operation becomes a temporary first."""
    taken, body = all_names(function, module), []
    for stmt in function.body:
        value = getattr(stmt, 'value', None) if isinstance(stmt, (ast.Assign, ast.Return, ast.AugAssign)) else None
        inner = None
        if value is not None and not any(isinstance(n, (ast.IfExp, ast.BoolOp, ast.Lambda)) for n in ast.walk(value)):
            inner = next((child for child in ast.iter_child_nodes(value)
                          if _hoistable(child) and child is not value), None)
        if inner is not None:
            name = fresh(taken, rng)
            body.append(ast.Assign([ast.Name(name, ast.Store())], copy.deepcopy(inner)))
            for parent in ast.walk(value):
                for field, old in ast.iter_fields(parent):
                    if old is inner:
                        setattr(parent, field, ast.Name(name, ast.Load()))
                    elif isinstance(old, list) and any(x is inner for x in old):
                        setattr(parent, field, [ast.Name(name, ast.Load()) if x is inner else x for x in old])
        body.append(stmt)
    function.body = body
    return function, module


def merge_temporaries(function, module, rng, owner=''):
    """A name assigned and used once, in the next statement only, is replaced by its expression."""
    for block in list(blocks(function)):
        i = 0
        while i < len(block) - 1:
            stmt, following = block[i], block[i + 1]
            name = stmt.targets[0].id if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(
                stmt.targets[0], ast.Name) else None
            uses = [n for n in ast.walk(function) if isinstance(n, ast.Name) and n.id == name]
            in_next = [n for n in ast.walk(following) if isinstance(n, ast.Name) and n.id == name]
            simple = isinstance(following, (ast.Assign, ast.Return, ast.Expr)) and name not in (
                _stored_bases(following) | stored(following))
            if name and len(uses) == 2 and len(in_next) == 1 and isinstance(in_next[0].ctx, ast.Load) and simple:
                replace_node(following, in_next[0], stmt.value)
                del block[i]
            else:
                i += 1
    return function, module


def _stored_bases(stmt):
    targets = getattr(stmt, 'targets', [])
    return {chain(t.value) for t in targets if isinstance(t, (ast.Subscript, ast.Attribute))}


def dead_lines(function, module, rng, owner=''):
    """Statements whose results nothing uses: a shape, a length, a check, a copy."""
    taken = all_names(function, module)
    params = [a.arg for a in function.args.args if a.arg != 'self'] or ['self']
    source = params[int(rng.integers(len(params)))]
    templates = [f'{{}} = np.shape({source})', f'{{}} = {len(params)} + 1', '{} = np.zeros(1)',
                 f'{{}} = str({source})[:0]']
    places = len(function.body) + (not isinstance(function.body[-1], ast.Return))   # never after the return
    for at in sorted(rng.choice(places, size=2), reverse=True):
        line = templates[int(rng.integers(len(templates)))].format(fresh(taken, rng, 'unused_'))
        function.body.insert(int(at), ast.parse(line).body[0])
    return function, module


class _Arithmetic(ast.NodeTransformer):
    def visit_BinOp(self, node):
        self.generic_visit(node)
        if isinstance(node.op, ast.Sub):
            return ast.BinOp(node.left, ast.Add(), ast.UnaryOp(ast.USub(), node.right))
        if isinstance(node.op, ast.Div):
            return ast.BinOp(node.left, ast.Mult(), ast.BinOp(ast.Constant(1), ast.Div(), node.right))
        return node

    def visit_AugAssign(self, node):
        self.generic_visit(node)
        if isinstance(node.op, ast.Sub):
            node.op, node.value = ast.Add(), ast.UnaryOp(ast.USub(), node.value)
        return node


def arithmetic(function, module, rng, owner=''):
    """a - b becomes a + (-b) and x / n becomes x * (1 / n)."""
    rewrite = _Arithmetic()
    return rewrite.visit(function), rewrite.visit(module)


def extract_helper(function, module, rng, owner=''):
    """The first assigned or returned expression moves into a new helper function at module level."""
    taken, local = all_names(function, module), local_names(function)
    for stmt in function.body:
        value = getattr(stmt, 'value', None) if isinstance(stmt, (ast.Assign, ast.Return)) else None
        if value is not None and isinstance(value, (ast.Call, ast.BinOp, ast.Tuple)):
            args = sorted({n.id for n in ast.walk(value) if isinstance(n, ast.Name) and n.id in local})
            name = fresh(taken, rng, f'_{owner}_')
            helper = ast.parse(f'def {name}({", ".join(args)}):\n    return 0').body[0]
            helper.body[0].value = value
            module.body.append(helper)
            stmt.value = ast.Call(ast.Name(name, ast.Load()), [ast.Name(a, ast.Load()) for a in args], [])
            break
    return function, module


def inline_helper(function, module, rng, owner=''):
    """A helper the answer calls is written into the answer (its parameters bound first) and removed."""
    helpers = {n.name: n for n in module.body if isinstance(n, ast.FunctionDef)}
    taken = all_names(function, module)
    for block in list(blocks(function)):
        for i, stmt in enumerate(block):
            call = next((n for n in ast.walk(stmt) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
                         and n.func.id in helpers), None)
            helper = call and helpers[call.func.id]
            if helper is None or call.keywords or any(isinstance(n, ast.Return) for s in helper.body[:-1]
                                                      for n in ast.walk(s)):
                continue
            mapping = {name: fresh(taken, rng) for name in sorted(local_names(helper))}
            inner = Rename(mapping).visit(copy.deepcopy(helper))
            inner.body = [s for s in inner.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
            binds = [ast.Assign([ast.Name(mapping[a.arg], ast.Store())], arg)
                     for a, arg in zip(helper.args.args, call.args)]
            last = inner.body[-1]
            if isinstance(last, ast.Return):
                replace_node(stmt, call, last.value)
                block[i:i + 1] = binds + inner.body[:-1] + [stmt]
            elif isinstance(stmt, ast.Expr) and stmt.value is call:
                block[i:i + 1] = binds + inner.body
            else:
                continue
            module.body.remove(helper)
            return function, module
    return function, module
TRANSFORMS = {'rename': rename, 'layout': layout, 'reorder': reorder, 'dot_matmul': dot_matmul,
              'sum_method': sum_method, 'split_temporaries': split_temporaries,
              'merge_temporaries': merge_temporaries, 'dead_lines': dead_lines, 'arithmetic': arithmetic,
              'extract_helper': extract_helper, 'inline_helper': inline_helper}
