"""DIR/similarity.html: one self-contained page (inline CSS, no script) a teacher reads top down.

The flagged pairs first, then groups of three or more joined by flagged pairs, then the closest of
the other pairs, then what could not be compared and how to read the page. Each pair is a <details>:
its evidence in words, then each function they share side by side, the two students' code in two
columns of a fixed table, one line per row of text: the release's own lines grey, a line whose value
the other wrote too underlined in yellow, in orange when fewer than half the class wrote it.
"""
import html
import os

from files import write_atomic
from teacher.similarity import evidence

SHOWN_UNFLAGGED = 40
SHOWN_UNITS = 6
STYLE = """
body{font:15px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1240px;padding:0 12px;color:#222}
h1{font-size:22px}h2{font-size:18px;margin-top:28px;border-bottom:1px solid #ccc}
details.pair{border:1px solid #ccc;border-radius:4px;margin:8px 0;padding:4px 8px}
details.pair>summary{cursor:pointer}details.flagged{border-color:#c0392b}
.score{display:inline-block;min-width:3.2em;font-weight:600}.names{font-weight:600}
.evidence{color:#333}.unit{margin:10px 0}.unit h4{margin:6px 0;font-size:14px}
table.side{width:100%;table-layout:fixed;border-collapse:collapse}
table.side th{text-align:left;font-size:13px;background:#f3f3f3;padding:2px 6px}
table.side td{vertical-align:top;width:50%;padding:0;border:1px solid #e3e3e3}
pre.code{margin:0;overflow-x:auto;font:12px/18px ui-monospace,Menlo,Consolas,monospace}
pre.code>span{display:block;min-width:max-content;height:18px;white-space:pre;padding:0 6px}
.n{display:inline;color:#999;user-select:none}.given{color:#aaa}.match{background:#fff3b0}.rare{background:#ffc98a}
.legend span{padding:0 6px;margin-right:8px}.note{color:#555;font-size:13px}
table.list{border-collapse:collapse}
table.list td,table.list th{padding:2px 8px;border-bottom:1px solid #eee;text-align:left}
"""


def write_html(out, cohort, found, groups):
    os.makedirs(out, exist_ok=True)
    page = _page(cohort, found, groups)
    write_atomic(os.path.join(out, 'similarity.html'), lambda handle: handle.write(page), text=True)


def _page(cohort, found, groups):
    flagged = [row for row in found if row.flagged]
    rest = [row for row in found if not row.flagged][:SHOWN_UNFLAGGED]
    students = sum(not d.reference for d in cohort.docs)
    parts = [f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
             f'<title>Similarity, case {cohort.case}</title>',
             f'<style>{STYLE}</style></head><body>',
             f'<h1>Similarity of {students} submissions of case {cohort.case}</h1>',
             f'<p>{len(found)} pairs compared; {len(flagged)} flagged at a threshold of '
             f'{html.escape(cohort.threshold_how)}. '
             'A score is a reason to look, never a verdict: read the code below before deciding anything.</p>',
             '<p class="legend"><span class="given">the release\'s own code</span><span class="match">'
             'the other wrote this value too</span><span class="rare">… and fewer than half the class did</span></p>',
             f'<h2 id="flagged">Flagged pairs ({len(flagged)})</h2>']
    parts += [_pair(cohort, row) for row in flagged] or ['<p>No pair reaches the threshold.</p>']
    parts.append(f'<h2 id="groups">Groups of three or more ({len(groups)})</h2>')
    parts.append(_groups(cohort, groups) if groups else '<p>No group of three or more.</p>')
    parts.append(f'<h2 id="rest">The closest other pairs ({len(rest)} of {len(found) - len(flagged)}; '
                 'all of them are in similarity.csv)</h2>')
    parts += [_pair(cohort, row) for row in rest]
    parts.append(f'<h2 id="skipped">Not compared ({len(cohort.skipped)})</h2>')
    parts.append(_skipped(cohort.skipped))
    parts.append(_how())
    return '\n'.join(parts) + '\n</body></html>\n'


def _pair(cohort, row):
    a, b = cohort.docs[row.a], cohort.docs[row.b]
    units = [_unit(cohort, row, m) for m in evidence.matches(cohort, row.a, row.b)[:SHOWN_UNITS]]
    units += [_tokens(cohort, row, f) for f in sorted(set(a.fallback) | set(b.fallback))
              if f in a.texts and f in b.texts]
    body = ''.join(units) or '<p class="note">No function in common to show.</p>'
    flagged = ' class="pair flagged" open' if row.flagged else ' class="pair"'
    return (f'<details{flagged}><summary><span class="score">{row.score:.2f}</span> '
            f'<span class="names">{html.escape(a.name)} — {html.escape(b.name)}</span>: '
            f'<span class="evidence">{html.escape(row.evidence)}</span></summary>{body}</details>')


def _unit(cohort, row, match):
    key = (match.file, match.name)
    sides = [_code(cohort, row.a, row.b, key), _code(cohort, row.b, row.a, key)]
    names = [html.escape(cohort.docs[i].name) for i in (row.a, row.b)]
    rare = f', {match.unique} in no other submission' if match.unique else ''
    return (f'<div class="unit"><h4>{html.escape(match.file)} · <code>{html.escape(match.name)}</code>: '
            f'{match.shared} of {match.total} steps match{rare}</h4>'
            f'<table class="side"><tr><th>{names[0]}</th><th>{names[1]}</th></tr>'
            f'<tr><td>{sides[0]}</td><td>{sides[1]}</td></tr></table></div>')


def _code(cohort, mine, other, key):
    """The function's lines in document `mine`, each classed by what `other` shares of it."""
    doc, unit = cohort.docs[mine], cohort.docs[mine].units[key]
    theirs = cohort.docs[other].steps.get(key, {})
    marks = {}
    for first, last, node in unit.lines:
        if node in theirs:
            kind = 'rare' if cohort.weight.get(theirs[node], 0.0) > 0 else 'match'
            for line in range(first, last + 1):
                marks[line] = 'rare' if 'rare' in (kind, marks.get(line)) else kind
    lines = doc.texts[key[0]].split('\n')
    shown = []
    for number in range(unit.span[0], min(unit.span[1], len(lines)) + 1):
        kind = 'given' if number in unit.given else marks.get(number, '')
        shown.append(f'<span class="{kind}"><span class="n">{number:4d} </span>{html.escape(lines[number - 1])}</span>')
    return '<pre class="code">' + ''.join(shown) + '</pre>'


def _tokens(cohort, row, file):
    from teacher.similarity.fingerprint import student_lines
    sides = []
    for i in (row.a, row.b):
        lines = student_lines(cohort.release[file], cohort.docs[i].texts[file])
        sides.append('<pre class="code">' + ''.join(
            f'<span><span class="n">{n:4d} </span>{html.escape(code)}</span>' for n, code in lines) + '</pre>')
    names = [html.escape(cohort.docs[i].name) for i in (row.a, row.b)]
    return (f'<div class="unit"><h4>{html.escape(file)}: compared by tokens (a file could not be parsed); '
            f'the lines that are not the release\'s</h4><table class="side"><tr><th>{names[0]}</th><th>{names[1]}</th>'
            f'</tr><tr><td>{sides[0]}</td><td>{sides[1]}</td></tr></table></div>')


def _groups(cohort, groups):
    items = []
    for members in groups:
        names = ', '.join(html.escape(cohort.docs[i].name) for i in members)
        items.append(f'<li>{len(members)} submissions: {names}</li>')
    return '<ul>' + ''.join(items) + '</ul>'


def _skipped(skipped):
    if not skipped:
        return '<p>Every submission was compared.</p>'
    rows = ''.join(f'<tr><td>{html.escape(name)}</td><td>{html.escape(entry or "(the whole submission)")}</td>'
                   f'<td>{html.escape(why)}</td></tr>' for name, entry, why in skipped)
    return f'<table class="list"><tr><th>submission</th><th>entry</th><th>why</th></tr>{rows}</table>'


def _how():
    return ('<h2 id="how">How to read this</h2><p class="note">Only what each student wrote is compared: the '
            'TODOs and any code changed or added outside them, never the release\'s own code or a TODO left '
            'unfinished. Each function is reduced to the values it computes, as expressions over its inputs '
            '(names, order, comments, split temporaries and numpy\'s other spellings do not count); a match '
            'weighs by how few submissions share it, so what half the class wrote counts for nothing. The same '
            'wrong numbers from the grader\'s probes count too, when the report comes from teacher.grade. '
            'Honest students do write the same short lines: a high score says where to look, not what happened.</p>')
