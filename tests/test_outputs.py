"""The outputs from planted findings (teacher/outputs.py): grades.csv with a column per rule, rules.csv with a
row per finding, the feedback in the README's language, and the rules' points (each written inside tmp_path).
The planted findings and rows come from test_gradebook.py, whose grading runs use them too."""
import pytest

from teacher.findings import RULES
from teacher.outputs import parse_rule_points, summary, write_outputs
from test_gradebook import PLANTED, POINTS, read_csv, row


def test_grades_csv_has_a_column_per_rule_and_rules_csv_a_row_per_finding(tmp_path):
    results = [(row(name), PLANTED[name], [0.9212, 0.9034] if name == 'clean' else []) for name in PLANTED]
    write_outputs(str(tmp_path), POINTS, results)
    table = {line['name']: line for line in read_csv(tmp_path / 'grades.csv')}
    assert list(next(iter(table.values()))) == ['name', 'score', 'max', *POINTS, *RULES, 'test accuracy',
                                                'rule points', 'flags', 'notes']
    assert table['torch']['framework'] == 'import' and table['torch']['notebook'] == ''
    assert table['loops']['vectorized'] == 'loop' and table['loops']['notebook'] == 'not-executed'
    assert all(table['clean'][rule] == '' for rule in RULES) and table['clean']['test accuracy'] == '0.9212 0.9034'
    assert all(line['score'] == '5' and line['rule points'] == '0' for line in table.values())   # rules cost nothing
    found = read_csv(tmp_path / 'rules.csv')
    assert [(f['submission'], f['rule'], f['finding'], f['file'], f['line']) for f in found] == [
        ('torch', 'framework', 'import', 'criterion.py', '3'), ('torch', 'framework', 'import', 'runner.ipynb', '12'),
        ('loops', 'vectorized', 'loop', 'criterion.py', '41'),
        ('loops', 'notebook', 'not-executed', 'runner.ipynb', '0')]
    assert found[0]['detail'] == 'imports torch'


def test_the_feedback_says_what_was_found_where_and_the_rule_in_the_readmes_language(tmp_path):
    results = [(row(name), PLANTED[name], []) for name in PLANTED]
    write_outputs(str(tmp_path / 'en'), POINTS, results)
    write_outputs(str(tmp_path / 'zh'), POINTS, results, lang='zh')
    english = (tmp_path / 'en' / 'torch.txt').read_text()
    assert english.startswith('Submission torch: 5 of 5 points\n\nThe assignment\'s rules:\n')
    assert ('  - framework: criterion.py line 3: imports torch [import] — breaks the rule "use no deep-learning '
            'framework (TensorFlow, Keras, PyTorch, JAX, ...)"') in english
    assert english.endswith('[2/2] t::a\n')   # the tests' feedback follows
    assert 'none broken' in (tmp_path / 'en' / 'clean.txt').read_text()
    chinese = (tmp_path / 'zh' / 'loops.txt').read_text()
    assert chinese.startswith('提交 loops：得分 5 / 5\n\n作业规则：\n')
    assert 'criterion.py 第 41 行' in chinese and '违反规则 "注意效率：不要用 for 循环逐个处理批中的样本"' in chinese
    assert '全部遵守' in (tmp_path / 'zh' / 'clean.txt').read_text()


def test_rule_points_cost_once_per_rule_broken_and_never_below_zero(tmp_path):
    points = parse_rule_points('framework=-5, vectorized=-2')
    assert points == {'framework': -5.0, 'vectorized': -2.0}
    results = [(row('torch', (2, 3)), PLANTED['torch'], []), (row('loops', (0, 1)), PLANTED['loops'], []),
               (row('clean'), [], [])]
    rows = write_outputs(str(tmp_path), POINTS, results, points)
    assert [(r['score'], r['rule points'], r['max']) for r in rows] == [(0.0, -5.0, 5), (0.0, -2.0, 5), (5, 0, 5)]
    assert (tmp_path / 'torch.txt').read_text().startswith('Submission torch: 0 of 5 points (tests 5, rules -5)')
    assert '(-5 points)' in (tmp_path / 'torch.txt').read_text()
    assert summary(rows) == ['Rules: hand-ins breaking each, of 3:', '  notebook       1  (not-executed 1)',
                             '  report         0', '  framework      1  (import 1)', '  vectorized     1  (loop 1)',
                             '  data           0']


@pytest.mark.parametrize('text', ['framework', 'framework=5', 'frame=-1', 'data=x', 'report=nan'])
def test_bad_rule_points_are_refused_by_name(text):
    with pytest.raises(ValueError, match=f"--rule-points '{text}': expected RULE=POINTS, RULE one of notebook"):
        parse_rule_points(text)
