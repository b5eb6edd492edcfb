"""`python -m teacher.similarity` as a teacher runs it: the progress line, similarity.csv (columns, order,
names as grades.csv has them) and similarity.html, whose structure is read back with html.parser: the
flagged pairs first, each a <details> holding the shared functions side by side, lines classed."""
import csv
import os
import subprocess
import sys
from html.parser import HTMLParser

import similarity_corpus
import similarity_disguise

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class Outline(HTMLParser):
    """The page's headings, its pairs (<details>: class, open, summary text), and per pair its side-by-side
    tables (rows of cells, each cell's line spans as (class, text))."""

    def __init__(self):
        super().__init__()
        self.headings, self.pairs, self.stack, self.text = [], [], [], None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.stack.append((tag, attrs))
        if tag in ('h2', 'summary'):
            self.text = []
        elif tag == 'details':
            self.pairs.append({'class': attrs.get('class', ''), 'open': 'open' in attrs, 'tables': []})
        elif tag == 'table' and 'side' in attrs.get('class', ''):
            self.pairs[-1]['tables'].append([])
        elif tag == 'td' and self.pairs and self.pairs[-1]['tables']:
            self.pairs[-1]['tables'][-1].append([])
        elif tag == 'span' and self.stack[-2][0] == 'pre':
            self.pairs[-1]['tables'][-1][-1].append([attrs.get('class', ''), ''])

    def handle_endtag(self, tag):
        while self.stack and self.stack.pop()[0] != tag:
            pass
        if tag == 'h2':
            self.headings.append(''.join(self.text))
        elif tag == 'summary':
            self.pairs[-1]['summary'] = ''.join(self.text)

    def handle_data(self, data):
        if self.text is not None:
            self.text.append(data)
        in_line = [i for i, (tag, _) in enumerate(self.stack) if tag == 'pre']
        if in_line and len(self.stack) > in_line[0] + 1 and self.stack[-1][0] == 'span' \
                and self.stack[-1][1].get('class') != 'n':
            self.pairs[-1]['tables'][-1][-1][-1][1] += data


def test_the_command_writes_a_sorted_csv_and_a_page_a_teacher_can_read(tmp_path):
    release = similarity_corpus.make_release(str(tmp_path / 'release'))
    students = similarity_corpus.honest_students(12, seed=8)
    paths = [similarity_corpus.write_submission(str(tmp_path / f'student{k}'),
                                                 similarity_corpus.submission_texts(release, s))
             for k, s in enumerate(students)]
    disguised = similarity_corpus.submission_texts(
        release, students[3], transform=lambda a: similarity_disguise.disguise(a, ('rename', 'dead_lines'), 1))
    paths.append(similarity_corpus.write_submission(str(tmp_path / 'copier'), disguised))
    done = subprocess.run([sys.executable, '-m', 'teacher.similarity', *paths, '--case', '2', '--out',
                           str(tmp_path / 'out')], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert 'teacher.similarity: scored 78 pairs' in done.stderr and '78 pairs of 13 submissions' in done.stdout
    with open(tmp_path / 'out' / 'similarity.csv', newline='') as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ['a', 'b', 'score', 'flagged', 'evidence'] and len(rows) == 78
    assert [float(r['score']) for r in rows] == sorted((float(r['score']) for r in rows), reverse=True)
    assert (rows[0]['a'], rows[0]['b'], rows[0]['flagged']) == ('student3', 'copier', '1')
    assert [r for r in rows if r['flagged'] == '1'] == rows[:1]

    page = Outline()
    page.feed((tmp_path / 'out' / 'similarity.html').read_text(encoding='utf-8'))
    assert [h.split(' (')[0] for h in page.headings] == ['Flagged pairs', 'Groups of three or more',
                                                          'The closest other pairs', 'Not compared', 'How to read this']
    first = page.pairs[0]
    assert 'flagged' in first['class'] and first['open'] and 'student3 — copier' in first['summary']
    assert not any('flagged' in p['class'] for p in page.pairs[1:])
    assert len(first['tables']) >= 3 and all(len(table) == 2 for table in first['tables'])
    lines = [line for table in first['tables'] for cell in table for line in cell]
    assert any(kind == 'rare' for kind, _ in lines) and any(kind == 'given' for kind, _ in lines)
    assert any(kind == 'given' and 'check_targets' in text for kind, text in lines)
