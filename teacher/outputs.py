"""DIR's files, written from the gradebook: grades.csv, rules.csv, one feedback file per hand-in.

grades.csv: one row per hand-in: name, score, max, the points of each test of the table (in its order),
then one column per rule of the assignment (findings.RULES: notebook, report, framework, vectorized,
data) holding the kinds of findings against it (`not-executed out-of-order`; empty: kept), `test
accuracy` (every test accuracy the notebook printed, in order), `rule points` (what the broken rules
cost, by --rule-points), flags and notes. rules.csv: one row per finding (submission, rule, finding,
file, line, detail). `<name>.txt`: the score, what was found against each rule (where, and the rule it
breaks, in the release README's language, en or zh), then the tests' feedback (feedback.py; the tests'
diagnoses are in English).

Rule points: each rule a hand-in breaks (one finding or more) adds its points once, e.g. --rule-points
framework=-5,vectorized=-2; a rule without points costs nothing; the score never goes below 0 and the
maximum stays the tests' total.
"""
import csv
import os
import re
from collections import Counter

from files import write_atomic
from teacher.findings import FINDINGS, RULES

LANGS = ('en', 'zh')
RULE_WORDS = {   # rule -> {lang: the assignment's rule, as the student reads it}
    'notebook': {'en': 'hand in the case\'s notebook, run from top to bottom, with its results',
                 'zh': '提交本案例的 notebook，从头到尾按顺序运行过，并保留运行结果'},
    'report': {'en': 'hand in a PDF report (test accuracy, curves, momentum against none, learning rate and '
                     'batch size) without much pasted code',
               'zh': '提交 PDF 实验报告（测试准确率、曲线、有无动量的比较、学习率和批大小的影响），不要粘贴大量代码'},
    'framework': {'en': 'use no deep-learning framework (TensorFlow, Keras, PyTorch, JAX, ...)',
                  'zh': '不得使用深度学习框架（TensorFlow、Keras、PyTorch、JAX 等）'},
    'vectorized': {'en': 'mind the efficiency: no for loops over the batch',
                   'zh': '注意效率：不要用 for 循环逐个处理批中的样本'},
    'data': {'en': 'do not hand in the data set', 'zh': '不要提交数据集'},
}
TEXT = {
    'head': {'en': 'Submission {name}: {score:g} of {max:g} points', 'zh': '提交 {name}：得分 {score:g} / {max:g}'},
    'split': {'en': ' (tests {tests:g}, rules {rules:g})', 'zh': '（测试 {tests:g} 分，规则 {rules:g} 分）'},
    'rules': {'en': 'The assignment\'s rules:', 'zh': '作业规则：'},
    'kept': {'en': 'none broken ({rules} checked)', 'zh': '全部遵守（已检查：{rules}）'},
    'breaks': {'en': 'breaks the rule "{words}"', 'zh': '违反规则 "{words}"'},
    'line': {'en': '{file} line {line}', 'zh': '{file} 第 {line} 行'},
    'costs': {'en': ' ({points:g} points)', 'zh': '（{points:g} 分）'},
    'accuracy': {'en': 'Test accuracy your notebook printed: {values}', 'zh': '你的 notebook 打印的测试准确率：{values}'},
}
RESERVED = ('grades', 'rules', 'gradebook')   # DIR's own files: no feedback file takes these names


def parse_rule_points(text):
    """{rule: points} of '--rule-points framework=-5,vectorized=-2' ('' or None: {}); ValueError naming the
    entry that is not RULE=POINTS with a known rule and points <= 0."""
    points = {}
    for entry in filter(None, (part.strip() for part in (text or '').split(','))):
        rule, sep, value = entry.partition('=')
        try:
            number = float(value)
        except ValueError:
            number = None
        if not sep or rule.strip() not in RULES or number is None or number > 0 or number != number:
            raise ValueError(f'--rule-points {entry!r}: expected RULE=POINTS, RULE one of {", ".join(RULES)} and '
                             'POINTS a number <= 0 (what breaking the rule costs), e.g. framework=-5,vectorized=-2')
        points[rule.strip()] = number
    return points


def final_row(row, findings, accuracies, rule_points):
    """The grades.csv row of a stored hand-in: its rule columns, accuracies, and the score with rule points."""
    kinds = {rule: sorted({f.finding for f in findings if f.rule == rule}) for rule in RULES}
    cost = sum(rule_points.get(rule, 0) for rule in RULES if kinds[rule])
    return {**row, **{rule: ' '.join(kinds[rule]) for rule in RULES}, 'test accuracy': ' '.join(
        f'{value:.4f}' for value in accuracies), 'rule points': cost, 'tests': row['score'],
        'score': max(0.0, round(row['score'] + cost, 2))}


def feedback_text(row, findings, accuracies, rule_points, lang):
    """The feedback file of a hand-in: score, findings against the rules (in `lang`), then the tests'."""
    def say(key, **values):
        return TEXT[key][lang].format(**values)
    head = say('head', name=row['name'], score=row['score'], max=row['max'])
    if row['rule points']:
        head += say('split', tests=row['tests'], rules=row['rule points'])
    lines = [head, '', say('rules')]
    for finding in findings:
        where = say('line', file=finding.file, line=finding.line) if finding.file and finding.line else finding.file
        cost = rule_points.get(finding.rule, 0)
        lines.append(f'  - {finding.rule}: ' + ': '.join(filter(None, [where, finding.detail or finding.finding]))
                     + f' [{finding.finding}] — ' + say('breaks', words=RULE_WORDS[finding.rule][lang])
                     + (say('costs', points=cost) if cost else ''))
    if not findings:
        lines.append('  ' + say('kept', rules=', '.join(RULES)))
    if accuracies:
        lines.append(say('accuracy', values=', '.join(f'{value:.4f}' for value in accuracies)))
    return '\n'.join(lines) + '\n\n' + row['feedback']


def summary(rows):
    """Lines for the teacher: how many hand-ins break each rule, and how many show each kind of finding, of
    the final rows (grades.csv's, whose rule columns hold the kinds found)."""
    lines = [f'Rules: hand-ins breaking each, of {len(rows)}:']
    for rule in RULES:
        kinds = Counter(kind for row in rows for kind in row[rule].split())
        detail = ', '.join(f'{kind} {kinds[kind]}' for kind in FINDINGS[rule] if kinds[kind])
        lines.append(f'  {rule:<11} {sum(bool(row[rule]) for row in rows):>4}' + (f'  ({detail})' if detail else ''))
    return lines


def safe_name(name):
    return re.sub(r'[^A-Za-z0-9._-]', '_', name).lstrip('.') or 'submission'


def feedback_names(rows):
    """A distinct file name (no extension) for each row's feedback, from its submission's name."""
    used, names = set(), []
    for row in rows:
        name = base = safe_name(row['name'])
        suffix = 1
        while name in used or name in RESERVED:
            name, suffix = f'{base}-{suffix}', suffix + 1
        used.add(name)
        names.append(name)
    return names


def write_outputs(out, points, results, rule_points=None, lang='en'):
    """DIR/grades.csv, DIR/rules.csv and DIR/<name>.txt of `results` ([(row, [Finding], accuracies)] in the
    run's order), each written to a temporary name and renamed; returns the final rows."""
    os.makedirs(out, exist_ok=True)
    rule_points = rule_points or {}
    rows = [final_row(row, findings, accuracies, rule_points) for row, findings, accuracies in results]
    for name, row, (_, findings, accuracies) in zip(feedback_names(rows), rows, results):
        text = feedback_text(row, findings, accuracies, rule_points, lang)
        write_atomic(os.path.join(out, name + '.txt'), lambda handle, text=text: handle.write(text), text=True)
    columns = ['name', 'score', 'max', *points, *RULES, 'test accuracy', 'rule points', 'flags', 'notes']
    _write_csv(os.path.join(out, 'grades.csv'), columns, rows)
    found = [{'submission': row['name'], **vars(finding)} for row, (_, findings, _) in zip(rows, results)
             for finding in findings]
    _write_csv(os.path.join(out, 'rules.csv'), ['submission', 'rule', 'finding', 'file', 'line', 'detail'], found)
    return rows


def _write_csv(path, columns, rows):
    def table(handle):
        writer = csv.DictWriter(handle, columns, extrasaction='ignore')
        writer.writeheader()
        writer.writerows(rows)
    write_atomic(path, table, text=True)
