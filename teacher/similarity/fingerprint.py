"""Fingerprints of what a student wrote, at several depths, so that a partly matching function counts in part.

Of a unit (a function, extract.py), for every computed value in its outputs' expressions (a *step*):
its whole expression ('f'), and its expression cut at depth 2 and 3 ('t2', 't3': the same operations
near the top over different inputs still match); and each output whole with its role ('o': what is
returned, set on self or written into an argument). Each fingerprint carries the file and the function,
so two students match where they wrote the same thing in the same place.

A file that cannot be parsed is compared by its tokens instead: the lines that differ from the
release's, identifiers as one token `V`, numbers as `N`, in runs of K_TOKENS (`token_prints`). Every
file gets token fingerprints, so a parsed file can still be compared with an unparsed one.
"""
import difflib
import functools
import hashlib
import io
import keyword
import re
import tokenize

DEPTHS = (2, 3)
K_TOKENS = 6
TOKEN = re.compile(r'[A-Za-z_]\w*|\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+|\*\*|//|@|==|!=|<=|>=|\S')
KEEP = set(keyword.kwlist) | {'np', 'numpy', 'self', 'sum', 'len', 'range', 'max', 'min', 'abs'}


def _hash(*parts):
    text = '\x1f'.join(str(p) for p in parts)
    return int.from_bytes(hashlib.blake2b(text.encode('utf-8', 'replace'), digest_size=8).digest(), 'big') >> 1


def steps(graph, unit):
    """The digests of every computed value (not a leaf) in the unit's outputs."""
    seen, stack = set(), list(unit.outputs.values())
    while stack:
        key = stack.pop()
        if key in seen or graph.height(key) == 0:
            continue
        seen.add(key)
        stack.extend(graph.children(key))
    return seen


class Truncated:
    """Digests of expressions cut at a depth, memoized over a cohort's graph."""

    def __init__(self, graph):
        self.graph, self.memo = graph, {}

    def __call__(self, key, depth):
        if depth == 0 or self.graph.height(key) == 0:
            return self.graph.op(key) if self.graph.height(key) == 0 else '*'
        memo = self.memo.get((key, depth))
        if memo is None:
            op, children, _ = self.graph.nodes[key]
            memo = self.memo[(key, depth)] = _hash(op, *(self(c, depth - 1) for c in children))
        return memo


def unit_prints(graph, unit, truncated, unit_steps):
    """{fingerprint: step digest or None} of one unit (see the module's docstring)."""
    where = unit.file + '::' + unit.name
    prints = {}
    for key in unit_steps:
        prints[_hash('f', where, key)] = key
        for depth in DEPTHS:
            if graph.height(key) > depth:
                prints.setdefault(_hash('t', depth, where, truncated(key, depth)), None)
    for role, value in unit.outputs.items():
        role = role.split(':')[0] if role.startswith(('effect:', 'raise:', 'store:')) else role
        prints.setdefault(_hash('o', where, role, value), None)
    return prints


@functools.lru_cache(maxsize=16)
def _code_lines(text):
    """The file's lines without comments and blank lines, stripped, each with its line number."""
    found = []
    for number, line in enumerate(text.split('\n'), 1):
        code = _without_comment(line).strip() if '#' in line else line.strip()
        if code:
            found.append((number, code))
    return tuple(found)


def _without_comment(line):
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(line.strip()).readline))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return line.split('#', 1)[0]
    comment = [t for t in tokens if t.type == tokenize.COMMENT]
    return line.strip()[:comment[0].start[1]] if comment else line


def student_lines(release_text, text):
    """[(line number, code)] of the lines of `text` that are not the release's (difflib, in order)."""
    release, mine = _code_lines(release_text), _code_lines(text)
    matcher = difflib.SequenceMatcher(None, [c for _, c in release], [c for _, c in mine], autojunk=False)
    given = {j + k for _, j, size in matcher.get_matching_blocks() for k in range(size)}
    return [line for i, line in enumerate(mine) if i not in given]


def token_prints(file, lines):
    """{fingerprint: None} of the K_TOKENS-runs of the tokens of `lines` (identifiers as V, numbers as N)."""
    tokens = []
    for _, code in lines:
        for token in TOKEN.findall(code):
            if token[0].isdigit() or token[0] == '.' and len(token) > 1:
                token = 'N'
            elif (token[0].isalpha() or token[0] == '_') and token not in KEEP and tokens[-1:] != ['.']:
                token = 'V'     # a name the student chose; an attribute's (x.sum) stays
            tokens.append(token)
    return {_hash('k', file, *tokens[i:i + K_TOKENS]): None for i in range(max(0, len(tokens) - K_TOKENS + 1))}
