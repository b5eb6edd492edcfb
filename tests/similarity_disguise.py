"""Disguises for the similarity corpus: what a student does to a copied answer to hide it.

Each disguise is one transform of an answer (tests/similarity_corpus.py's Answer: the function body and
the student's helpers), made on its syntax tree (tests/similarity_transforms.py; the tree's pieces in
tests/similarity_ast.py) and written back with ast.unparse,
so every disguise also drops the answer's comments and redoes its layout; 'layout' goes on to squeeze the
spaces out (`a*b`, `f(x,axis=1)`) and add blank lines, 'comments' adds comments and blank lines of its own.
`disguise(answer, kinds, seed)` applies several in order ('heavy' is most of them at once). Each keeps
what the answer computes: tests/test_similarity_corpus.py runs the disguised answer on the probes'
inputs against the original. `build_corpus` writes a class of honest students and disguised copies.
"""
import io
import keyword
import os
import tokenize

import numpy as np

from similarity_ast import parse_answer, unparse_answer
from similarity_corpus import (differences, honest_students, load_answers, make_release, probe,
                               submission_texts, write_submission)
from similarity_transforms import TRANSFORMS

KEYWORDS = set(keyword.kwlist) - {'True', 'False', 'None'}
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
    lines = []
    for line in text.split('\n'):
        try:
            tokens = [t for t in tokenize.generate_tokens(io.StringIO(line.strip() + '\n').readline)
                      if t.type not in (tokenize.NEWLINE, tokenize.NL, tokenize.ENDMARKER, tokenize.COMMENT)]
        except (tokenize.TokenError, SyntaxError):   # a line of a string that spans lines: as it is
            lines.append(line)
            continue
        out, previous, after_keyword = '', None, False
        for token in tokens:
            is_keyword = token.string in KEYWORDS
            number_dot = previous == tokenize.NUMBER and token.string == '.'   # 0 .max is not 0.max
            if out and (previous in words and token.type in words or is_keyword or after_keyword or number_dot):
                out += ' '
            out, previous, after_keyword = out + token.string, token.type, is_keyword
        lines.append(line[:len(line) - len(line.lstrip())] + out if out else '')
        if out and rng.random() < 0.2:
            lines.append('')
    return '\n'.join(lines).rstrip('\n')


def disguise(answer, kinds, seed):
    """The answer after each disguise of `kinds` in turn ('comments' and 'heavy' included)."""
    rng = np.random.default_rng(seed)
    expanded = [k for kind in kinds for k in (HEAVY + ('comments',) if kind == 'heavy' else (kind,))]
    function, module = parse_answer(answer)
    for kind in expanded:
        if kind != 'comments':
            function, module = TRANSFORMS[kind](function, module, rng, _owner(answer.function))
    result = unparse_answer(answer, function, module)
    if 'layout' in expanded:
        result = result._replace(body=compact(result.body, seed), module=compact(result.module, seed + 1))
    return comment_lines(result, seed) if 'comments' in expanded else result
KINDS = tuple(TRANSFORMS) + ('comments', 'heavy')
ONE_FILE = ('rename', 'comments')   # the disguise of a copy of one file of three
ONE_FILE_FILES = ('criterion.py', 'layers.py')   # the files with several TODOs: a copy of one can carry evidence


def build_corpus(out, honest=60, copies=3, seed=0, wrong_rate=0.03, kinds=('verbatim',) + KINDS + ('one_file',),
                 check=True, skew=0.0):
    """Write out/release, out/subs/<name>/ (the case files of each submission) and return the truth:
    {'names': [...], 'copied': [(a, b, kind, file or '')]} with (a, b) a victim and its copy.

    `copies` copies per kind, each of a different honest student; a copy keeps its victim's choices
    (styles and TODO comments) and applies the disguise to every answer ('one_file': the victim's
    answers in one case file, the copier's own in the others: criterion.py or layers.py, from a victim
    whose file holds rare code, `rare_code` >= ln(100 P) nats for P pairs: a classmate writes it the same
    way by chance less than once in 100 P, a margin of ln 33 over the best of the 3 P chance coincidences of
    a file among the class's pairs; a copy of optimizer.py's one-line answers carries no evidence that
    any tool could see, tests/test_similarity.py shows that limit). Names are shuffled, so a name says
    nothing. With check, every copy but 'one_file' is probed against its victim (numbers kept). skew: how
    popular the first styles are (honest_students)."""
    if honest < copies * len(kinds):
        raise ValueError(f'build_corpus: {copies} copies of each of {len(kinds)} kinds need as many honest '
                         f'students to copy from, {copies * len(kinds)}; honest={honest}')
    rng = np.random.default_rng(seed)
    release = make_release(os.path.join(out, 'release'))
    answers = load_answers()
    students = honest_students(honest + copies, seed, wrong_rate, skew)
    own, students = students[honest:], students[:honest]   # own: a one-file copier's other files
    names = [f's{i:03d}' for i in rng.permutation(honest + copies * len(kinds))]
    texts = [submission_texts(release, s, answers) for s in students]
    copied, rare = [], np.log(100 * len(names) * (len(names) - 1) / 2)   # ln(100 P) nats for P pairs
    for kind, k, victim, file in _victims(students, answers, kinds, copies, rng, rare):
        steps = ONE_FILE if kind == 'one_file' else () if kind == 'verbatim' else (kind,)
        transform = (lambda a, steps=steps, at=len(texts): disguise(a, steps, seed + at)) if steps else None
        copy_texts = submission_texts(release, students[victim], answers, transform)
        if file:
            copy_texts = {**submission_texts(release, own[k], answers), file: copy_texts[file]}
        copied.append((names[victim], names[len(texts)], kind, file))
        texts.append(copy_texts)
    for name, files in zip(names, texts):
        write_submission(os.path.join(out, 'subs', name), files)
    for a, b, kind, _ in copied if check else ():
        found = kind != 'one_file' and differences(*(probe(os.path.join(out, 'subs', n)) for n in (a, b)))
        if found:
            raise AssertionError(f'the {kind} copy {b} of {a} computes other numbers: {found[:5]}')
    return {'names': names, 'copied': copied}


def _victims(students, answers, kinds, copies, rng, rare):
    """(kind, k, index of the honest student copied, the file copied alone or '') for the k-th copy of each
    kind, each student copied once, in an order drawn from rng; an inlined helper needs a victim who wrote
    one, a one-file copy one whose file holds at least `rare` nats of rare code (rare_code): these two
    kinds choose first, the others take the rest in order."""
    has_helper = [i for i, s in enumerate(students) if any(
        _answer(answers, key, style).module for key, style in s['picks'].items() if style)]
    order, chosen = list(rng.permutation(len(students))), {}
    for kind in sorted(kinds, key=lambda kind: kind not in ('one_file', 'inline_helper')):
        for k in range(copies):
            file = ONE_FILE_FILES[k % len(ONE_FILE_FILES)] if kind == 'one_file' else ''
            pool = [i for i in order if i in has_helper] if kind == 'inline_helper' else \
                [i for i in order if rare_code(students, i, file) >= rare] if file else order
            if not pool:
                raise ValueError(f'build_corpus: no student left whose {file} holds {rare:.1f} nats of rare code')
            chosen[kind, k] = (pool[0], file)
            order.remove(pool[0])
    for kind in kinds:
        for k in range(copies):
            yield (kind, k, *chosen[kind, k])


def rare_code(students, i, file):
    """The nats of rare code in student i's `file`: Σ over its answered TODOs of -ln(the share of the
    students who answered that TODO the same way)."""
    picks = [(key, style) for key, style in students[i]['picks'].items() if style and key[0] == file]
    return sum(-np.log(sum(s['picks'].get(key) == style for s in students) / len(students))
               for key, style in picks)


def _answer(answers, key, style):
    return next(a for a in answers[key] if a.style == style)
