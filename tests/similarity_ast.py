"""The syntax-tree pieces the similarity corpus's disguises share: an answer parsed as the function it
answers (tests/similarity_corpus.py's Answer: its body and the student's helpers) and written back, the names
it binds, fresh names, attribute chains, statement blocks."""
import ast
import builtins
import itertools

from similarity_corpus import ROOT

HOLDER = '__answer__'
NAMES = ('res', 'tmp', 'val', 'arr', 'out2', 'buf', 'part', 'cur', 'aux', 'work', 'acc2', 'item', 'mat', 'vec')


def parameters(file, function):
    """The parameter names of `function` ('Class.method' or 'name') in the project's `file`."""
    with open(f'{ROOT}/{file}', encoding='utf-8') as handle:
        tree = ast.parse(handle.read())
    *owner, name = function.split('.')
    scope = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == owner[0]).body if owner \
        else tree.body
    node = next(n for n in scope if isinstance(n, ast.FunctionDef) and n.name == name)
    return [a.arg for a in node.args.args]


def parse_answer(answer):
    body = '\n'.join('    ' + line for line in answer.body.split('\n'))
    params = ', '.join(parameters(answer.file, answer.function))
    function = ast.parse(f'def {HOLDER}({params}):\n{body}\n').body[0]
    return function, ast.parse(answer.module or '')


def unparse_answer(answer, function, module):
    ast.fix_missing_locations(function)
    ast.fix_missing_locations(module)
    body = '\n'.join(ast.unparse(stmt) for stmt in function.body)
    return answer._replace(body=body, module=ast.unparse(module) if module.body else '')


def stored(node):
    """Names bound anywhere under node (assignment targets, for targets, with ... as)."""
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}


def local_names(function):
    return stored(function) | {a.arg for a in function.args.args}


class Rename(ast.NodeTransformer):
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


def fresh(taken, rng, prefix=''):
    """A name not in `taken` (which it joins)."""
    for n in itertools.count():
        name = prefix + NAMES[int(rng.integers(len(NAMES)))] + (str(n) if n else '')
        if name not in taken and not hasattr(builtins, name):
            taken.add(name)
            return name


def all_names(*trees):
    return {n.id for t in trees for n in ast.walk(t) if isinstance(n, ast.Name)} | {
        n.arg for t in trees for n in ast.walk(t) if isinstance(n, ast.arg)} | {
        n.name for t in trees for n in ast.walk(t) if isinstance(n, ast.FunctionDef)}


def chain(node):
    """'self.y' for an attribute chain on a name, 'x' for a name, else None."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = chain(node.value)
        return base and f'{base}.{node.attr}'
    return None


def blocks(node):
    """Every statement list under node (bodies of the function, loops, ifs, withs)."""
    for n in ast.walk(node):
        for field in ('body', 'orelse'):
            block = getattr(n, field, None)
            if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
                yield block


def replace_node(tree, old, new):
    for parent in ast.walk(tree):
        for field, value in ast.iter_fields(parent):
            if value is old:
                setattr(parent, field, new)
            elif isinstance(value, list):
                setattr(parent, field, [new if x is old else x for x in value])
