"""What the intake takes for the assignment's rules besides the case files: the case's notebook, the PDFs,
the other sources, and the data sets it meets (each hand-in built inside tmp_path)."""
import json
import zipfile

from teacher.intake import DATA_FILE_BYTES, MAX_DOCUMENT_BYTES, MAX_OUTPUT_BYTES, read_submission

CASE_FILES = ['criterion.py', 'layers.py', 'optimizer.py']


def notebook_text(outputs=()):
    """A one-cell notebook's JSON text whose cell holds `outputs`."""
    cell = {'cell_type': 'code', 'execution_count': 1, 'metadata': {}, 'source': ['print(1)'], 'outputs': list(outputs)}
    return json.dumps({'cells': [cell], 'metadata': {}, 'nbformat': 4, 'nbformat_minor': 5})


def handin(root, files):
    """root/alice holding `files` ({relative path: text, bytes or a size for a sparse file})."""
    for name, content in files.items():
        path = root / 'alice' / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, int):
            with open(path, 'wb') as handle:
                handle.truncate(content)   # as large as that, without writing it
        else:
            path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return str(root / 'alice')


def test_the_notebook_pdfs_sources_and_data_sets_are_taken_beside_the_case_files(tmp_path):
    files = {name: f'# {name}\n' for name in CASE_FILES}
    files.update({'runner.ipynb': notebook_text(), 'old/runner.ipynb': 'older', 'mlp.ipynb': notebook_text(),
                  'report.pdf': b'%PDF-1.4 mine', 'helpers/plots.py': 'import numpy\n', 'notes.md': 'notes',
                  'data/train-images-idx3-ubyte.gz': b'\x1f\x8b', 'raw/t10k-labels-idx1-ubyte': b'\0\0\x08\x01',
                  'mnist.pkl.gz': b'\x1f\x8b', 'cache/features.npy': DATA_FILE_BYTES + 1})
    intake = read_submission(handin(tmp_path, files), CASE_FILES, notebook='runner.ipynb')
    assert sorted(intake.files) == CASE_FILES and intake.refused == [] and intake.error == ''
    assert intake.notebook == 'runner.ipynb' and intake.notebook_bytes == notebook_text().encode()
    assert intake.notebook_note == ''
    assert intake.pdfs == {'report.pdf': b'%PDF-1.4 mine'}
    assert intake.sources == {'helpers/plots.py': b'import numpy\n', 'mlp.ipynb': notebook_text().encode(),
                              'old/runner.ipynb': b'older'}
    assert intake.ignored == ['cache/features.npy', 'notes.md']
    assert sorted(intake.data_sets) == [
        ('cache/features.npy', f'a file of {DATA_FILE_BYTES + 1:,} bytes (over {DATA_FILE_BYTES:,})'),
        ('data/', 'a data folder'), ('mnist.pkl.gz', 'an MNIST file'), ('raw/t10k-labels-idx1-ubyte', 'an MNIST file')]
    assert intake.skipped['raw/t10k-labels-idx1-ubyte'] == 'MNIST file'
    assert intake.read_for_rules() == ['helpers/plots.py', 'mlp.ipynb', 'old/runner.ipynb', 'report.pdf',
                                       'runner.ipynb']


def test_a_renamed_single_notebook_is_taken_and_said(tmp_path):
    folder = handin(tmp_path, {'hw1/my run.ipynb': notebook_text()})
    intake = read_submission(folder, CASE_FILES, notebook='runner.ipynb')
    assert intake.notebook == 'hw1/my run.ipynb' and intake.notebook_bytes == notebook_text().encode()
    assert intake.notebook_note == ('no runner.ipynb in the hand-in: its only notebook, hw1/my run.ipynb, '
                                    'was taken instead')


def test_with_several_other_notebooks_none_is_guessed(tmp_path):
    intake = read_submission(handin(tmp_path, {'a.ipynb': '{}', 'b.ipynb': '{}'}), CASE_FILES, notebook='runner.ipynb')
    assert intake.notebook == '' and intake.notebook_bytes is None
    assert intake.notebook_note == 'no runner.ipynb in the hand-in (its notebooks: a.ipynb, b.ipynb)'
    assert sorted(intake.sources) == ['a.ipynb', 'b.ipynb']


def test_without_a_notebook_asked_for_none_is_taken(tmp_path):
    intake = read_submission(handin(tmp_path, {'runner.ipynb': notebook_text()}), CASE_FILES)
    assert intake.notebook == '' and intake.notebook_wanted == '' and list(intake.sources) == ['runner.ipynb']


def test_a_notebook_over_the_limit_is_refused_naming_the_file_and_the_limit(tmp_path):
    folder = handin(tmp_path, {'runner.ipynb': MAX_DOCUMENT_BYTES + 1})
    intake = read_submission(folder, CASE_FILES, notebook='runner.ipynb')
    assert intake.notebook == 'runner.ipynb' and intake.notebook_bytes is None
    assert intake.refused == [('runner.ipynb', f'larger than {MAX_DOCUMENT_BYTES} bytes')]
    assert intake.notebook_note == f'runner.ipynb: larger than {MAX_DOCUMENT_BYTES} bytes'
    with zipfile.ZipFile(tmp_path / 'bob.zip', 'w', zipfile.ZIP_DEFLATED) as archive:
        archive.writestr('bob/runner.ipynb', b' ' * (MAX_DOCUMENT_BYTES + 1))   # 50 MB that packs into 50 kB
    intake = read_submission(str(tmp_path / 'bob.zip'), CASE_FILES, notebook='runner.ipynb')
    assert intake.refused == [('bob/runner.ipynb', f'larger than {MAX_DOCUMENT_BYTES} bytes once unpacked')]
    assert intake.notebook_bytes is None and 'bob/runner.ipynb: larger than' in intake.notebook_note


def test_a_notebook_with_an_output_over_the_cap_is_refused(tmp_path):
    big = {'output_type': 'stream', 'name': 'stdout', 'text': ['x' * MAX_OUTPUT_BYTES]}
    intake = read_submission(handin(tmp_path, {'runner.ipynb': notebook_text([big])}), CASE_FILES,
                             notebook='runner.ipynb')
    assert intake.notebook_bytes is None and intake.notebook == 'runner.ipynb'
    why = dict(intake.refused)['runner.ipynb']
    assert why.startswith('cell 1 holds an output of ') and f'over the limit of {MAX_OUTPUT_BYTES:,} bytes' in why


def test_a_zipped_hand_in_gives_the_same(tmp_path):
    with zipfile.ZipFile(tmp_path / 'carol.zip', 'w') as archive:
        archive.writestr('carol/runner.ipynb', notebook_text())
        archive.writestr('carol/report.pdf', b'%PDF-1.4')
        archive.writestr('carol/data/train-labels-idx1-ubyte.gz', b'\x1f\x8b')
        archive.writestr('carol/train-images.idx3-ubyte', b'\0')
    intake = read_submission(str(tmp_path / 'carol.zip'), CASE_FILES, notebook='runner.ipynb')
    assert intake.notebook == 'carol/runner.ipynb' and intake.pdfs == {'carol/report.pdf': b'%PDF-1.4'}
    assert sorted(intake.data_sets) == [('carol/data/', 'a data folder'),
                                        ('carol/train-images.idx3-ubyte', 'an MNIST file')]
