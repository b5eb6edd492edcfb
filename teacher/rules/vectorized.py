"""The rule "mind the efficiency, avoid for loops", read statically: loops inside the case's TODOs.

The TODOs of a case are the functions `teacher.handout.case_regions(case)` lists (the regions the
release left empty); in a hand-in each is the function of that name in the case file, the student's
whole answer. Every loop in it — `for`, `while`, a list/set/dict comprehension or a generator — is
reported with its line, unless it visibly runs a handful of times: over a tuple or list written
out, or over `range`/`enumerate`/`zip`/`itertools.product`/`np.ndindex` of small constants (at most
SMALL_RANGE) and of kernel-sized names (KERNEL_NAMES: `kh`, `kw`, `self.kernel_size`, `HH`,
`W.shape[2]`, …), or over the window offsets of a pooling layer (`self.offsets(...)`). Those are the
loops over a convolution's kernel offsets (the course's own ConvLayer.backward and
MaxPoolingLayer.backward have them), nine or so iterations of a vectorized block each. Everything
else runs over something whose size the code does not show — the batch, the features, the pixels,
an array's rows — and is reported: `while` loops always. Loops in helpers the TODO calls are not
followed; the worker's timing of each TODO against the teacher's (`slow`) catches those.
"""
import ast
import re

from teacher.findings import Finding
from teacher.handout import case_regions
from teacher.rules.source import parse_python

SMALL_RANGE = 16
KERNEL_NAMES = re.compile(r'^(k|kh|kw|k_?h|k_?w|hh|ww|kernel\w*|ksize|filter_?size|field\w*|pool\w*|window\w*'
                          r'|\w*offsets?|stride\w*)$', re.IGNORECASE)
WEIGHT_NAMES = re.compile(r'^(w|weights?|kernels?|filters?)$', re.IGNORECASE)   # W.shape[2:] are kernel sizes
RANGES = ('range', 'enumerate', 'zip', 'reversed', 'product', 'ndindex')
LOOPS = {ast.For: 'a `for` loop', ast.AsyncFor: 'a `for` loop', ast.While: 'a `while` loop',
         ast.ListComp: 'a list comprehension', ast.SetComp: 'a set comprehension',
         ast.DictComp: 'a dict comprehension', ast.GeneratorExp: 'a generator expression'}


def check_loops(intake, case):
    """[Finding('vectorized', 'loop', file, line)] for each loop over the batch or the features in a TODO."""
    findings = []
    for name, function, _, _ in case_regions(case)[0]:
        if name not in intake.files:
            continue
        tree = parse_python(intake.files[name])
        node = find_function(tree, function) if tree else None   # the tests report a file Python cannot read
        for loop in _loops(node) if node else []:
            findings.append(Finding('vectorized', 'loop', intake.found_at.get(name, name), loop.lineno,
                                    f'{function}: {_describe(loop)}: the assignment asks for array operations '
                                    'over the batch and the features, not Python loops'))
    return findings


def find_function(tree, qualified):
    """The (async) def of `Class.method` or `function` at the top of the module, or None."""
    body, node = tree.body, None
    for part in qualified.split('.'):
        node = next((n for n in body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                     and n.name == part), None)
        if node is None:
            return None
        body = node.body
    return node if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) else None


def _loops(function):
    """The loop nodes in the function's body that do not visibly run a handful of times, in line order."""
    found = []
    for node in ast.walk(function):
        if isinstance(node, ast.While):
            found.append(node)
        elif isinstance(node, (ast.For, ast.AsyncFor)) and not is_small(node.iter):
            found.append(node)
        elif isinstance(node, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)) \
                and not all(is_small(g.iter) for g in node.generators):
            found.append(node)
    return sorted(found, key=lambda n: (n.lineno, n.col_offset))


def _describe(loop):
    if isinstance(loop, ast.While):
        return f'{LOOPS[ast.While]} (`while {_short(loop.test)}`)'
    iterable = loop.iter if isinstance(loop, (ast.For, ast.AsyncFor)) else \
        next(g.iter for g in loop.generators if not is_small(g.iter))
    return f'{LOOPS[type(loop)]} over `{_short(iterable)}`'


def _short(node):
    text = ast.unparse(node)
    return text if len(text) <= 60 else text[:57] + '...'


def is_small(node):
    """True when the iterable visibly has a handful of items (see the module's docstring)."""
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return True
    if isinstance(node, ast.Call):
        called = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, 'attr', '')
        if 'offset' in called.lower():
            return True
        return called in RANGES and bool(node.args) and all(is_small(a) or is_small_size(a) for a in node.args)
    return is_kernel_name(node)


def is_small_size(node):
    """True for a size the code shows to be small: a constant up to SMALL_RANGE, a kernel-sized name,
    or arithmetic of those (`kh * kw`, `k - 1`)."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, int) and abs(node.value) <= SMALL_RANGE
    if isinstance(node, ast.BinOp):
        return is_small_size(node.left) and is_small_size(node.right)
    if isinstance(node, ast.UnaryOp):
        return is_small_size(node.operand)
    return is_kernel_name(node)


def is_kernel_name(node):
    """`kh`, `self.kernel_size`, `self.W.shape[2]` (a kernel's height or width), `kernel_size[0]`."""
    if isinstance(node, ast.Name):
        return bool(KERNEL_NAMES.match(node.id))
    if isinstance(node, ast.Attribute):
        return bool(KERNEL_NAMES.match(node.attr))
    if isinstance(node, ast.Subscript):
        value, index = node.value, node.slice
        if isinstance(value, ast.Attribute) and value.attr == 'shape' and isinstance(index, ast.Constant):
            owner = value.value.attr if isinstance(value.value, ast.Attribute) else getattr(value.value, 'id', '')
            return bool(WEIGHT_NAMES.match(owner)) and index.value in (2, 3, -1, -2)
        return is_kernel_name(value)
    return False
