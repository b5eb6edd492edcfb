"""The assignment's PDF report on planted hand-ins: missing, unreadable (encrypted, damaged, too slow to
read), pasted code, a part or the figure missing; and pypdf, the reader, as the teacher's dependency only
(every hand-in built inside tmp_path from the teacher's own files; tests/rules_handins.py plants them)."""
import os

import pypdf
import pytest

from rules_handins import complete, findings_of, report_pdf  # noqa: F401  (fixtures: complete asks for report_pdf)
from teacher.findings import Finding
from teacher.handout import ROOT
from teacher.intake import Intake
from teacher.rules import pdf_text, report
from teacher.rules.pdf_text import PdfText


def test_a_hand_in_without_a_pdf_is_reported(complete):
    folder = complete()
    (folder / 'report.pdf').unlink()
    assert findings_of(folder) == [Finding('report', 'missing', '', 0, 'no PDF in the hand-in: the assignment asks '
                                           'for a PDF report of the experiments')]


def test_an_encrypted_pdf_is_unreadable_and_one_locked_only_for_changes_is_read(complete):
    folder = complete()
    writer = pypdf.PdfWriter(clone_from=str(folder / 'report.pdf'))
    writer.encrypt(user_password='secret', owner_password='teacher', algorithm='AES-256')
    writer.write(str(folder / 'report.pdf'))
    assert findings_of(folder) == [Finding('report', 'unreadable', 'report.pdf', 0, 'report.pdf: encrypted: it needs '
                                           'a password to open: it could not be checked')]
    writer = pypdf.PdfWriter()
    writer.append(pypdf.PdfReader(str(folder / 'report.pdf'), password='secret'))
    writer.encrypt(user_password='', owner_password='teacher', algorithm='AES-256')
    writer.write(str(folder / 'report.pdf'))
    assert findings_of(folder) == []


def test_a_damaged_pdf_is_unreadable(complete):
    folder = complete()
    data = (folder / 'report.pdf').read_bytes()
    (folder / 'report.pdf').write_bytes(data[:len(data) // 3])
    found = findings_of(folder)
    assert [(f.rule, f.finding, f.file) for f in found] == [('report', 'unreadable', 'report.pdf')]
    assert found[0].detail.startswith('report.pdf: damaged: ')


def test_a_pdf_of_pasted_code_is_reported(complete, report_pdf):
    folder = complete()
    code = [line for line in (folder / 'criterion.py').read_text().split('\n')[:150] if line.strip()]
    report_pdf(folder / 'report.pdf', code=code)
    found = findings_of(folder)
    assert [(f.rule, f.finding, f.file) for f in found] == [('report', 'code-pasted', 'report.pdf')]
    assert 'read as code, more than the 30% allowed' in found[0].detail


def test_a_short_code_excerpt_is_fine(complete, report_pdf):
    folder = complete()
    report_pdf(folder / 'report.pdf', code=['def backward(self):', '    return (self.y - self.t) / len(self.y)'])
    assert findings_of(folder) == []


def test_a_pdf_without_the_momentum_part_is_reported(complete, report_pdf):
    folder = complete()
    report_pdf(folder / 'report.pdf', parts=('accuracy', 'learning_rate', 'batch_size'))
    assert findings_of(folder) == [Finding('report', 'part-missing', 'report.pdf', 0, 'the momentum comparison: not '
                                           'found in report.pdf (looked for "momentum" or "动量")')]


def test_a_pdf_the_reader_cannot_finish_in_time_is_unreadable(complete, monkeypatch):
    monkeypatch.setattr(pdf_text, 'TIMEOUT', 0.01)
    assert findings_of(complete()) == [Finding('report', 'unreadable', 'report.pdf', 0, 'report.pdf: reading it took '
                                               'longer than 0.01 s: it could not be checked')]


def test_a_pdf_without_a_figure_is_reported(complete, report_pdf):
    folder = complete()
    report_pdf(folder / 'report.pdf', figure=False)
    assert [(f.finding, f.detail.split(':')[0]) for f in findings_of(folder)] == [
        ('part-missing', 'at least one figure (the loss and accuracy curves)')]


@pytest.mark.parametrize('text', [
    '测试集上的准确率为 92.17%。使用动量（γ = 0.9）比不使用动量收敛更快。学习率 α = 0.1 最好；批大小为 16 时准确率最高。',
    'Test accuracy: 0.9217. Momentum 0.9 against none; the learning rate and the batch size swept.',
])
def test_the_parts_are_found_in_chinese_or_english(text):
    pdf = PdfText(1, text, 1, '')
    assert report._parts_missing({'report.pdf': pdf}) == []
    assert len(report._parts_missing({'report.pdf': PdfText(1, 'Softmax regression on MNIST.', 1, '')})) == 4


def test_the_pdf_python_m_report_writes_passes_every_report_check(quick):
    with open(quick[2] / 'report.pdf', 'rb') as handle:
        intake = Intake('report', str(quick[2]), pdfs={'report.pdf': handle.read()})
    assert report.check_report(intake) == []


# ---------------------------------------------------------------- the reader, the teacher's dependency

def test_the_pdf_reader_is_the_teacher_s_dependency_not_the_student_s(tmp_path):
    from teacher.handout import make_release
    make_release(str(tmp_path / 'release'), 1)
    with open(os.path.join(ROOT, 'teacher', 'requirements.txt')) as handle:
        assert 'pypdf' in handle.read()
    assert 'pypdf' not in (tmp_path / 'release' / 'requirements.txt').read_text()
    assert not (tmp_path / 'release' / 'teacher').exists()


def test_without_pypdf_the_check_stops_and_says_how_to_install_it(complete, monkeypatch):
    find_spec = pdf_text.importlib.util.find_spec
    monkeypatch.setattr(pdf_text.importlib.util, 'find_spec', lambda name: None if name == 'pypdf' else find_spec(name))
    with pytest.raises(pdf_text.MissingReader, match='pip install -r teacher/requirements.txt'):
        findings_of(complete())
