"""What the student wrote in one file: the functions that differ from the release, each run on canonical
values (execute.py), with the release's own statements marked as given.

The release is made from the project (`handout.strip`), so its text is known exactly. A function of the
release whose body is unchanged (a TODO left unfinished keeps the release's `raise NotImplementedError`
stand-in; given code left alone) is not the student's and is left out. In a changed function, the
statements that match the release's, in order (difflib over the statements' syntax trees, without
comments, docstrings or layout), are the release's; the others are the student's. A function the
student added is inlined where it is called, or is a unit of its own when nothing calls it.
"""
import ast
import difflib
import functools
import re
from dataclasses import dataclass, field

from teacher.similarity.execute import Executor
from teacher.similarity.expressions import Context

MODULE = '<module>'


@dataclass
class Unit:
    """One function's share of the student's code: its outputs as nodes and where its lines are."""
    file: str
    name: str            # 'SoftmaxCrossEntropyLossLayer.backward', '<module>' or '+helper' (added, not called)
    kind: str            # 'todo' (a TODO of the release), 'changed' (given code changed) or 'added'
    outputs: dict        # output key -> node
    lines: list          # (first line, last line, node) of each of the student's statements
    span: tuple          # (first, last) line of the function in the submitted file
    given: set = field(default_factory=set)   # line numbers of the release's own statements


def release_functions(tree):
    """{qualified name: FunctionDef} of a module, and {MODULE: its top-level statements}."""
    found, top = {}, []
    stack = [(tree.body, '')]
    while stack:
        body, prefix = stack.pop()
        for node in body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                found[prefix + node.name] = node
            elif isinstance(node, ast.ClassDef):
                stack.append((node.body, prefix + node.name + '.'))
            elif not prefix and not isinstance(node, (ast.Import, ast.ImportFrom)):
                top.append(node)
    return found, top


def _dump(node):
    return ast.dump(node, annotate_fields=False)


def _body(function):
    body = function.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        body = body[1:]
    return body


@functools.lru_cache(maxsize=16)
def _release(release_text):
    """({name: (FunctionDef, the dumps of its body)}, (top-level statements, their dumps)), parsed once."""
    functions, top = release_functions(ast.parse(release_text))
    lines = release_text.split('\n')
    return ({name: (_text_of(lines, f), tuple(_dump(s) for s in _body(f))) for name, f in functions.items()},
            (top, tuple(_dump(s) for s in top)), set(re.findall(r'self\.(\w+)', release_text)))


def _text_of(lines, function):
    """The function's lines, stripped, without blank and comment-only lines: equal texts, equal code."""
    return '\n'.join(line.strip() for line in lines[function.lineno - 1:function.end_lineno]
                     if line.strip() and not line.lstrip().startswith('#'))


def given_statements(release_dumps, body):
    """ids of the statements of `body` that match the release's (their dumps), in order."""
    matcher = difflib.SequenceMatcher(None, release_dumps, [_dump(s) for s in body], autojunk=False)
    return {id(body[j + k]) for _, j, size in matcher.get_matching_blocks() for k in range(size)}


def context(release_text, tree, added, attributes):
    """(the Context of the submitted module `tree` (see expressions.Context), the names its calls target:
    f(...) and self.f(...))."""
    numpy, constants, calls = {}, {}, set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            calls.add(func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else '')
        elif isinstance(node, ast.Import):
            numpy.update({(a.asname or a.name): 'np' for a in node.names if a.name == 'numpy'})
        elif isinstance(node, ast.ImportFrom) and node.module == 'numpy':
            numpy.update({(a.asname or a.name): 'np.' + a.name for a in node.names if a.name != '*'})
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and len(node.targets) == 1 \
                and isinstance(node.targets[0], ast.Name) and node.targets[0].id not in release_text:
            constants[node.targets[0].id] = node.value.value
    return Context(numpy=numpy, attributes=attributes, helpers=dict(added), constants=constants), calls


def units(graph, file, release_text, text, todos=()):
    """[Unit] of the student's code in `text` (the submitted file) against the release's `release_text`;
    `todos`: the names of the file's TODO functions in this case.

    SyntaxError when the submitted file cannot be parsed (the caller falls back to tokens)."""
    tree = ast.parse(text)
    release, (release_top, top_dumps), attributes = _release(release_text)
    mine, top = release_functions(tree)
    added = {name: node for name, node in mine.items() if name not in release}
    helpers = {**added, **{n.rsplit('.', 1)[-1]: f for n, f in added.items() if '.' not in n}}
    ctx, calls = context(release_text, tree, helpers, attributes)
    found = []
    lines = text.split('\n')
    for name, function in mine.items():
        if name in release:
            if release[name][0] == _text_of(lines, function):
                continue    # as the release has it, to the letter
            body, release_dumps = _body(function), release[name][1]
            given = given_statements(release_dumps, body)
            if len(given) == len(body) == len(release_dumps):
                continue
            kind = 'todo' if name in todos else 'changed'
        elif name.rsplit('.', 1)[-1] in calls:
            continue    # a helper: inlined where it is called
        else:
            body, given, kind = _body(function), set(), 'added'
            name = '+' + name
        found.append(_run(graph, ctx, file, name, kind, function, given))
    found += _module_unit(graph, ctx, file, top_dumps, top)
    return found


def _run(graph, ctx, file, name, kind, function, given):
    owner = name.lstrip('+').rsplit('.', 1)[0] if '.' in name else None
    executor = Executor(graph, ctx, owner, given=given)
    state = executor.run(function)
    given_lines = {line for node in ast.walk(function) if id(node) in given
                   for line in range(node.lineno, node.end_lineno + 1)}
    if kind != 'added' and function.body and len(_body(function)) < len(function.body):   # its docstring: the release's
        given_lines.update(range(function.body[0].lineno, function.body[0].end_lineno + 1))
    return Unit(file, name, kind, state.outputs, executor.lines,
                (function.lineno - len(function.decorator_list), function.end_lineno), given_lines)


def _module_unit(graph, ctx, file, top_dumps, top):
    """The top-level statements the student added or changed (constants and imports aside), as one unit."""
    given = given_statements(top_dumps, top)
    own = [s for s in top if id(s) not in given
           and not (isinstance(s, ast.Assign) and isinstance(s.value, ast.Constant))]
    if not own:
        return []
    module = ast.FunctionDef(name=MODULE, args=ast.arguments([], [], None, [], [], None, []), body=top,
                             decorator_list=[], lineno=top[0].lineno, end_lineno=top[-1].end_lineno)
    unit = _run(graph, ctx, file, MODULE, 'changed', module, given)
    unit.span = (own[0].lineno, own[-1].end_lineno)
    return [unit] if unit.outputs else []
