"""Disguises for the similarity corpus: what a student does to a copied answer to hide it.

Each disguise is one transform of an answer (tests/similarity_corpus.py's Answer: the function body and
the student's helpers), made on its syntax tree (ast.NodeTransformer) and written back with ast.unparse,
so every disguise also drops the answer's comments and redoes its layout; 'layout' goes on to squeeze the
spaces out (`a*b`, `f(x,axis=1)`) and add blank lines, 'comments' adds comments and blank lines of its own.
`disguise(answer, kinds, seed)` applies several in order ('heavy' is most of them at once). Each keeps
what the answer computes: tests/test_similarity_corpus.py runs the disguised answer on the probes'
inputs against the original.
"""
import ast
import builtins
import copy
import io
import itertools
import keyword
import os
import tokenize

import numpy as np

from similarity_corpus import (FILES, ROOT, Answer, differences, honest_students, load_answers, make_release, probe,
                               submission_texts, write_submission)

HOLDER = '__answer__'
NAMES = ('res', 'tmp', 'val', 'arr', 'out2', 'buf', 'part', 'cur', 'aux', 'work', 'acc2', 'item', 'mat', 'vec')
PURE_METHODS = {'sum', 'max', 'min', 'mean', 'copy', 'reshape', 'dot', 'astype', 'argmax', 'transpose', 'clip',
                'ravel', 'T'}
MUTATING_NP = {'copyto', 'put_along_axis', 'putmask', 'at'}
PURE_BUILTINS = {'len', 'float', 'int', 'range', 'abs', 'enumerate'}
SUM_LIKE = {'sum', 'max', 'mean'}
KEYWORDS = set(keyword.kwlist) - {'True', 'False', 'None'}


def parameters(file, function):
    """The parameter names of `function` ('Class.method' or 'name') in the project's `file`."""
    with open(f'{ROOT}/{file}', encoding='utf-8') as handle:
        tree = ast.parse(handle.read())
    *owner, name = function.split('.')
    scope = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == owner[0]).body if owner \
        else tree.body
    node = next(n for n in scope if isinstance(n, ast.FunctionDef) and n.name == name)
    return [a.arg for a in node.args.args]


# ---- parsing an answer and writing it back ----

def _parse(answer):
    body = '\n'.join('    ' + line for line in answer.body.split('\n'))
    params = ', '.join(parameters(answer.file, answer.function))
    function = ast.parse(f'def {HOLDER}({params}):\n{body}\n').body[0]
    return function, ast.parse(answer.module or '')


def _unparse(answer, function, module):
    ast.fix_missing_locations(function)
    ast.fix_missing_locations(module)
    body = '\n'.join(ast.unparse(stmt) for stmt in function.body)
    return answer._replace(body=body, module=ast.unparse(module) if module.body else '')


def _stored(node):
    """Names bound anywhere under node (assignment targets, for targets, with ... as)."""
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}


def _locals(function):
    return _stored(function) | {a.arg for a in function.args.args}


class _Rename(ast.NodeTransformer):
    def __init__(self, mapping):
        self.mapping = mapping

    def visit_Name(self, node):
        node.id = self.mapping.get(node.id, node.id)
        return node

    def visit_arg(self, node):
        node.arg = self.mapping.get(node.arg, node.arg)
        return node

    def visit_FunctionDef(self, node):
        node.name = self.mapping.get(node.name, node.name)
        self.generic_visit(node)
        return node


def _fresh(taken, rng, prefix=''):
    """A name not in `taken` (which it joins)."""
    for n in itertools.count():
        name = prefix + NAMES[int(rng.integers(len(NAMES)))] + (str(n) if n else '')
        if name not in taken and not hasattr(builtins, name):
            taken.add(name)
            return name


def _all_names(*trees):
    return {n.id for t in trees for n in ast.walk(t) if isinstance(n, ast.Name)} | {
        n.arg for t in trees for n in ast.walk(t) if isinstance(n, ast.arg)} | {
        n.name for t in trees for n in ast.walk(t) if isinstance(n, ast.FunctionDef)}


# ---- the transforms: (function, module, rng) -> (function, module) ----

def rename(function, module, rng, owner=''):
    """Every local of the answer, and every helper with its parameters, gets another name."""
    taken, params = _all_names(function, module), {a.arg for a in function.args.args}
    helpers = [n for n in module.body if isinstance(n, ast.FunctionDef)]
    names = {helper.name: _fresh(taken, rng, f'_{owner}_') for helper in helpers}
    function = _Rename({**names, **{name: _fresh(taken, rng) for name in sorted(_stored(function) - params)}}
                       ).visit(function)
    for helper in helpers:   # each helper's own names, and the helpers' names everywhere in the module
        inner = {name: _fresh(taken, rng) for name in sorted(_locals(helper))}
        _Rename(inner).visit(helper)
    return function, _Rename(names).visit(module)


def layout(function, module, rng, owner=''):
    """Nothing on the tree: ast.unparse drops the comments, and `compact` (in `disguise`) redoes the spacing."""
    return function, module


def _chain(node):
    """'self.y' for an attribute chain on a name, 'x' for a name, else None."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _chain(node.value)
        return base and f'{base}.{node.attr}'
    return None


def _pure_call(call):
    func = call.func
    if any(k.arg == 'out' for k in call.keywords):
        return False
    if isinstance(func, ast.Name):
        return func.id in PURE_BUILTINS
    if isinstance(func, ast.Attribute):
        if _chain(func) and _chain(func).startswith('np.'):
            return func.attr not in MUTATING_NP
        return func.attr in PURE_METHODS
    return False


def _effects(stmt):
    """(reads, writes) of a statement whose only effect is binding names or self's attributes, else None."""
    if not isinstance(stmt, ast.Assign):
        return None
    targets = [t for target in stmt.targets for t in (target.elts if isinstance(target, ast.Tuple) else [target])]
    writes = {_chain(t) for t in targets}
    if None in writes or any(isinstance(n, ast.Call) and not _pure_call(n) for n in ast.walk(stmt.value)):
        return None
    reads = {c for n in ast.walk(stmt.value) if isinstance(n, (ast.Name, ast.Attribute)) and (c := _chain(n))}
    return reads, writes


def _conflict(first, second):
    def touches(a, b):
        return a == b or a.startswith(b + '.') or b.startswith(a + '.')
    return any(touches(a, b) for a in first for b in second)


def _blocks(node):
    """Every statement list under node (bodies of the function, loops, ifs, withs)."""
    for n in ast.walk(node):
        for field in ('body', 'orelse'):
            block = getattr(n, field, None)
            if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
                yield block


def reorder(function, module, rng, owner=''):
    """Adjacent statements that do not depend on each other swap places."""
    for block in list(_blocks(function)):
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
        if _chain(func) == 'np.dot' and len(node.args) == 2 and not node.keywords:
            return ast.BinOp(node.args[0], ast.MatMult(), node.args[1])
        if isinstance(func, ast.Attribute) and func.attr == 'dot' and _chain(func) != 'np.dot' \
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
        arrays = (ast.Name, ast.Attribute, ast.Subscript, ast.Call, ast.BinOp)   # not a number: np.max(0, x)
        if _chain(func) == f'np.{func.attr}' and node.args and isinstance(node.args[0], arrays):   # np.sum(x, axis=0)
            axis = [k for k in node.keywords if k.arg == 'axis']
            rest = [k for k in node.keywords if k.arg != 'axis']
            args = node.args[1:] + ([axis[0].value] if axis and len(node.args) == 1 else [])
            return ast.Call(ast.Attribute(node.args[0], func.attr, ast.Load()), args, rest if axis else node.keywords)
        if isinstance(func.value, (ast.Name, ast.Attribute, ast.Subscript, ast.Call)) and _chain(func.value) != 'np':
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
    taken, body = _all_names(function, module), []
    for stmt in function.body:
        value = getattr(stmt, 'value', None) if isinstance(stmt, (ast.Assign, ast.Return, ast.AugAssign)) else None
        inner = None
        if value is not None and not any(isinstance(n, (ast.IfExp, ast.BoolOp, ast.Lambda)) for n in ast.walk(value)):
            inner = next((child for child in ast.iter_child_nodes(value)
                          if _hoistable(child) and child is not value), None)
        if inner is not None:
            name = _fresh(taken, rng)
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
    for block in list(_blocks(function)):
        i = 0
        while i < len(block) - 1:
            stmt, following = block[i], block[i + 1]
            name = stmt.targets[0].id if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(
                stmt.targets[0], ast.Name) else None
            uses = [n for n in ast.walk(function) if isinstance(n, ast.Name) and n.id == name]
            in_next = [n for n in ast.walk(following) if isinstance(n, ast.Name) and n.id == name]
            simple = isinstance(following, (ast.Assign, ast.Return, ast.Expr)) and name not in (
                _stored_bases(following) | _stored(following))
            if name and len(uses) == 2 and len(in_next) == 1 and isinstance(in_next[0].ctx, ast.Load) and simple:
                _replace(following, in_next[0], stmt.value)
                del block[i]
            else:
                i += 1
    return function, module


def _stored_bases(stmt):
    targets = getattr(stmt, 'targets', [])
    return {_chain(t.value) for t in targets if isinstance(t, (ast.Subscript, ast.Attribute))}


def _replace(tree, old, new):
    for parent in ast.walk(tree):
        for field, value in ast.iter_fields(parent):
            if value is old:
                setattr(parent, field, new)
            elif isinstance(value, list):
                setattr(parent, field, [new if x is old else x for x in value])


def dead_lines(function, module, rng, owner=''):
    """Statements whose results nothing uses: a shape, a length, a check, a copy."""
    taken = _all_names(function, module)
    params = [a.arg for a in function.args.args if a.arg != 'self'] or ['self']
    source = params[int(rng.integers(len(params)))]
    templates = [f'{{}} = np.shape({source})', f'{{}} = {len(params)} + 1', f'{{}} = np.zeros(1)',
                 f'{{}} = str({source})[:0]']
    places = len(function.body) + (not isinstance(function.body[-1], ast.Return))   # never after the return
    for at in sorted(rng.choice(places, size=2), reverse=True):
        line = templates[int(rng.integers(len(templates)))].format(_fresh(taken, rng, 'unused_'))
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
    taken, local = _all_names(function, module), _locals(function)
    for stmt in function.body:
        value = getattr(stmt, 'value', None) if isinstance(stmt, (ast.Assign, ast.Return)) else None
        if value is not None and isinstance(value, (ast.Call, ast.BinOp, ast.Tuple)):
            args = sorted({n.id for n in ast.walk(value) if isinstance(n, ast.Name) and n.id in local})
            name = _fresh(taken, rng, f'_{owner}_')
            helper = ast.parse(f'def {name}({", ".join(args)}):\n    return 0').body[0]
            helper.body[0].value = value
            module.body.append(helper)
            stmt.value = ast.Call(ast.Name(name, ast.Load()), [ast.Name(a, ast.Load()) for a in args], [])
            break
    return function, module


def inline_helper(function, module, rng, owner=''):
    """A helper the answer calls is written into the answer (its parameters bound first) and removed."""
    helpers = {n.name: n for n in module.body if isinstance(n, ast.FunctionDef)}
    taken = _all_names(function, module)
    for block in list(_blocks(function)):
        for i, stmt in enumerate(block):
            call = next((n for n in ast.walk(stmt) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
                         and n.func.id in helpers), None)
            helper = call and helpers[call.func.id]
            if helper is None or call.keywords or any(isinstance(n, ast.Return) for s in helper.body[:-1]
                                                      for n in ast.walk(s)):
                continue
            mapping = {name: _fresh(taken, rng) for name in sorted(_locals(helper))}
            inner = _Rename(mapping).visit(copy.deepcopy(helper))
            inner.body = [s for s in inner.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
            binds = [ast.Assign([ast.Name(mapping[a.arg], ast.Store())], arg)
                     for a, arg in zip(helper.args.args, call.args)]
            last = inner.body[-1]
            if isinstance(last, ast.Return):
                _replace(stmt, call, last.value)
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
HEAVY = ('inline_helper', 'merge_temporaries', 'rename', 'reorder', 'dot_matmul', 'sum_method',
         'split_temporaries', 'arithmetic', 'dead_lines', 'extract_helper', 'layout')


def comment_lines(answer, seed):
    """The answer with comments of its own before some lines and a few blank lines (no ast: text only)."""
    rng = np.random.default_rng(seed)
    words = ('compute the result', 'shape (N, K)', 'as in the lecture', 'vectorized', 'step', 'see slides')
    lines = []
    for line in answer.body.split('\n'):
        indent = line[:len(line) - len(line.lstrip())]
        roll = rng.random()
        if roll < 0.4 and line.strip():
            lines.append(f'{indent}# {words[int(rng.integers(len(words)))]}')
        elif roll < 0.55 and lines:
            lines.append('')
        lines.append(line)
    return answer._replace(body='\n'.join(lines))


def _owner(function):
    """'sce_forward' for 'SoftmaxCrossEntropyLossLayer.forward': a prefix for the helpers a disguise adds."""
    *owner, name = function.split('.')
    initials = ''.join(c for c in ''.join(owner) if c.isupper()).lower()[:3]
    return '_'.join(filter(None, (initials, name.strip('_'))))


def compact(text, seed):
    """The code with no space around operators and after commas (`a*b`, `f(x,axis=1)`), and a blank line
    after some statements: whitespace only, so it computes the same."""
    rng = np.random.default_rng(seed)
    words = (tokenize.NAME, tokenize.NUMBER, tokenize.STRING)
    lines, previous = [], None
    for line in text.split('\n'):
        try:
            tokens = [t for t in tokenize.generate_tokens(io.StringIO(line.strip() + '\n').readline)
                      if t.type not in (tokenize.NEWLINE, tokenize.NL, tokenize.ENDMARKER, tokenize.COMMENT)]
        except (tokenize.TokenError, SyntaxError):   # a line of a string that spans lines: as it is
            lines.append(line)
            continue
        out = ''
        for token in tokens:
            keyword = token.string in KEYWORDS
            number_dot = previous == tokenize.NUMBER and token.string == '.'   # 0 .max is not 0.max
            if out and (previous in words and token.type in words or keyword or previous_keyword or number_dot):
                out += ' '
            out, previous, previous_keyword = out + token.string, token.type, keyword
        previous_keyword = False
        lines.append(line[:len(line) - len(line.lstrip())] + out if out else '')
        if out and rng.random() < 0.2:
            lines.append('')
    return '\n'.join(lines).rstrip('\n')


def disguise(answer, kinds, seed):
    """The answer after each disguise of `kinds` in turn ('comments' and 'heavy' included)."""
    rng = np.random.default_rng(seed)
    expanded = [k for kind in kinds for k in (HEAVY + ('comments',) if kind == 'heavy' else (kind,))]
    function, module = _parse(answer)
    for kind in expanded:
        if kind != 'comments':
            function, module = TRANSFORMS[kind](function, module, rng, _owner(answer.function))
    result = _unparse(answer, function, module)
    if 'layout' in expanded:
        result = result._replace(body=compact(result.body, seed), module=compact(result.module, seed + 1))
    return comment_lines(result, seed) if 'comments' in expanded else result


KINDS = tuple(TRANSFORMS) + ('comments', 'heavy')
ONE_FILE = ('rename', 'comments')   # the disguise of a copy of one file of three


# ---- a corpus: honest students and disguised copies, written as a teacher receives them ----

def build_corpus(out, honest=60, copies=3, seed=0, wrong_rate=0.03, kinds=('verbatim',) + KINDS + ('one_file',),
                 check=True, skew=0.0):
    """Write out/release, out/subs/<name>/ (the case files of each submission) and return the truth:
    {'names': [...], 'copied': [(a, b, kind, file or '')]} with (a, b) a victim and its copy.

    `copies` copies per kind, each of a different honest student; a copy keeps its victim's choices
    (styles and TODO comments) and applies the disguise to every answer ('one_file': the victim's
    answers in one case file, the copier's own in the others). Names are shuffled, so a name says
    nothing. With check, every copy but 'one_file' is probed against its victim (numbers kept). skew: how
    popular the first styles are (honest_students)."""
    if honest < copies * len(kinds):
        raise ValueError(f'build_corpus: {copies} copies of each of {len(kinds)} kinds need as many honest '
                         f'students to copy from, {copies * len(kinds)}; honest={honest}')
    rng = np.random.default_rng(seed)
    release = make_release(os.path.join(out, 'release'))
    answers = load_answers()
    students = honest_students(honest + copies, seed, wrong_rate, skew)
    own = students[honest:]   # the copiers' own answers, for the files of a one-file copy
    students = students[:honest]
    total = honest + copies * len(kinds)
    names = [f's{i:03d}' for i in rng.permutation(total)]
    has_helper = [i for i, s in enumerate(students) if any(
        _answer(answers, key, style).module for key, style in s['picks'].items() if style)]
    order = list(rng.permutation(honest))
    texts, copied = [submission_texts(release, s, answers) for s in students], []
    for kind in kinds:
        for k in range(copies):
            pool = [i for i in order if i in has_helper] if kind == 'inline_helper' else order
            victim = pool[0]
            order.remove(victim)
            steps = ONE_FILE if kind == 'one_file' else () if kind == 'verbatim' else (kind,)
            transform = (lambda a, steps=steps, at=len(texts): disguise(a, steps, seed + at)) if steps else None
            copy_texts = submission_texts(release, students[victim], answers, transform)
            file = ''
            if kind == 'one_file':
                file = FILES[k % len(FILES)]
                copy_texts = {**submission_texts(release, own[k], answers), file: copy_texts[file]}
            copied.append((names[victim], names[len(texts)], kind, file))
            texts.append(copy_texts)
    for name, files in zip(names, texts):
        write_submission(os.path.join(out, 'subs', name), files)
    if check:
        for a, b, kind, _ in copied:
            found = kind != 'one_file' and differences(*(probe(os.path.join(out, 'subs', n)) for n in (a, b)))
            if found:
                raise AssertionError(f'the {kind} copy {b} of {a} computes other numbers: {found[:5]}')
    return {'names': names, 'copied': copied}


def _answer(answers, key, style):
    return next(a for a in answers[key] if a.style == style)
