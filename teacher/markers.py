"""Solution regions in the project's modules: the marker lines, parsed and checked (see teacher/handout.py).

    ### BEGIN SOLUTION case 2 (given in 1)
    ...the solution...
    ### END SOLUTION

`regions(path, name, known)` lists a file's regions with the cases each is a TODO of (`Cases`, which
also knows where it is given and says what it is in a case's release); `leaks` finds the solution lines
of the regions a release must not show in that release's text.
"""
import os
import re

MARKER = re.compile(r'^(\s*)### (BEGIN SOLUTION|END SOLUTION)\b(.*)$')
DEF = re.compile(r'^(\s*)(?:async\s+)?(def|class)\s+(\w+)')


class MarkerError(ValueError):
    """A solution marker that is unbalanced, nested, of an unknown case, or outside a function."""


class LeakError(ValueError):
    """A release would hold a line of a solution its case must not see."""


class Cases(frozenset):
    """The cases a region is a TODO of; `given`: the earlier cases it is given in (`(given in ...)`)."""
    given = frozenset()

    def role(self, case):
        """'todo', 'given' or 'withheld': what the region is in the release of `case`."""
        if case in self:
            return 'todo'
        return 'given' if case in self.given or case > min(self) else 'withheld'


def _enclosing(lines, index, indent):
    """'Class.function' (or 'function') of the function whose body holds line `index`, else None."""
    names, limit = [], len(indent)
    for line in reversed(lines[:index]):
        width = len(line) - len(line.lstrip())
        if not line.strip() or line.lstrip().startswith('#') or width >= limit:
            continue
        match = DEF.match(line)
        if match and (names or match.group(2) == 'def'):
            names.append(match.group(3))
        elif not names and (match or width == 0):
            return None   # the region lies in a class body or at the top level
        limit = width
        if limit == 0:
            break
    return '.'.join(reversed(names)) or None


GIVEN = re.compile(r'^(.*?)\(given in ([^)]*)\)\s*$')


def _begin(name, lines, i, indent, rest, known):
    """(cases, function) of the region that line i opens; MarkerError if either is missing."""
    given_match = GIVEN.match(rest)
    words, given = (given_match.group(1).split(), given_match.group(2).split()) if given_match else (rest.split(), [])
    if len(words) < 2 or words[0] != 'case' or not set(words[1:]) | set(given) <= {str(c) for c in known}:
        raise MarkerError(f'{name}:{i + 1}: unknown case in {lines[i].strip()!r}: expected '
                          f"'case N', 'case N M' or 'case N (given in K)' with N, M, K among {tuple(known)}")
    function = _enclosing(lines, i, indent)
    if function is None:
        raise MarkerError(f'{name}:{i + 1}: a region must lie inside one function body')
    cases = Cases(int(w) for w in words[1:])
    cases.given = frozenset(int(w) for w in given)
    if cases & cases.given:
        raise MarkerError(f'{name}:{i + 1}: a case cannot both have the TODO and be given it: {lines[i].strip()!r}')
    return cases, function


def regions(path, name=None, known=(1, 2)):
    """[(begin, end, cases, function)] of the file's regions: 0-based marker lines, the Cases (a
    frozenset of the cases it is a TODO of, with .given), the qualified function name. MarkerError naming file and line for any malformed marker."""
    name = name or os.path.basename(path)
    with open(path, encoding='utf-8') as file:
        lines = file.read().split('\n')
    found, open_at = [], None
    for i, line in enumerate(lines):
        match = MARKER.match(line)
        if not match:
            if line.lstrip().startswith(('### BEGIN', '### END')):
                raise MarkerError(f'{name}:{i + 1}: {line.strip()!r} is not a marker: expected '
                                  f"'### BEGIN SOLUTION case N ...' or '### END SOLUTION'")
            continue
        indent, kind, rest = match.groups()
        if kind == 'BEGIN SOLUTION':
            if open_at is not None:
                raise MarkerError(f'{name}:{i + 1}: BEGIN SOLUTION inside the region opened at line '
                                  f'{open_at[0] + 1} (regions do not nest)')
            open_at = (i, indent, *_begin(name, lines, i, indent, rest, known))
            continue
        if open_at is None:
            raise MarkerError(f'{name}:{i + 1}: END SOLUTION without a BEGIN SOLUTION')
        if rest.strip() or indent != open_at[1]:
            raise MarkerError(f'{name}:{i + 1}: END SOLUTION must be indented like its BEGIN '
                              f'(line {open_at[0] + 1}) and carry nothing after it')
        body = lines[open_at[0] + 1:i]
        if any(b.strip() and not b.startswith(indent) for b in body):
            raise MarkerError(f'{name}:{i + 1}: the region from line {open_at[0] + 1} leaves its function body')
        found.append((open_at[0], i, open_at[2], open_at[3]))
        open_at = None
    if open_at is not None:
        raise MarkerError(f'{name}:{open_at[0] + 1}: BEGIN SOLUTION without an END SOLUTION')
    return found


def leaks(path, case, text, name=None, known=(1, 2)):
    """[(function, line)] of the solution lines of the file's TODO and withheld regions that `text`
    (its release) holds; lines the file also has outside those regions do not count."""
    found = [r for r in regions(path, name, known) if r[2].role(case) != 'given']
    with open(path, encoding='utf-8') as file:
        lines = file.read().split('\n')
    hidden = {i for begin, end, _, _ in found for i in range(begin, end + 1)}
    elsewhere = {line.strip() for i, line in enumerate(lines) if i not in hidden}
    released = {line.strip() for line in text.split('\n')}
    return [(function, line.strip()) for begin, end, _, function in found for line in lines[begin + 1:end]
            if line.strip() and line.strip() not in elsewhere and line.strip() in released]
