"""Grade student submissions of a case: python -m teacher.grade SUBMISSION... --case 1|2|3 --out DIR

Each SUBMISSION (a folder or a .zip) gives its versions of the case's files (handout.case_files).
The tests run in a process of the grader's holding the teacher's files (run.py); each call of
the student's code goes to a worker holding the submission, in a sandbox (sandbox.py, worker.py),
and only data comes back, so what the submission does cannot reach the verdict. Several submissions
are graded at once, each worker as its own uid. The inputs are drawn from a seed chosen when the run
starts. The teacher's own files are graded alongside as the reference: they fix which tests exist and
must earn full marks. Each hand-in is also checked against the assignment's rules (findings.py).

A class at a time, nothing lost: the run is recorded in DIR/gradebook.db (gradebook.py) with its
seed, and each hand-in's result (and the reference's) is stored as soon as it is decided, while one
line on stderr says how many are graded, which are being graded and the time left. `--resume` grades
only the hand-ins without a result, with the recorded seed; `--only NAME` grades one again with it.
DIR's grades.csv, rules.csv and feedback files are written from the gradebook (outputs.py) once every
hand-in has its result, and (unless --no-similarity) similarity.csv and similarity.html (teacher.similarity),
with the wrong outputs two hand-ins share as evidence.

Without a working sandbox (sandbox.support() says which piece is missing) grading refuses to start
unless the teacher passes --no-sandbox: the workers are then plain processes that see and reach what
the teacher can (the verdict still stays out of their reach).
"""
import argparse
import dataclasses
import hashlib
import os
import queue
import shutil
import sys
import tempfile

from teacher import rerun, rules, sandbox
from teacher.classrun import Stopped, grade_class
from teacher.findings import RULES
from teacher.feedback import score
from teacher.gradebook import NAME, Gradebook, GradebookError
from teacher.intake import read_submission, submission_name
from teacher.outputs import LANGS, parse_rule_points, summary, write_outputs
from teacher.points import POINTS, table_problems, test_files
from teacher.run import ROOT, Limits, Template, run_submission
from teacher.similarity import behaviour, report as similarity_report
from teacher.timing import slow_findings


class NoSandbox(RuntimeError):
    """The sandbox cannot be built here and the teacher did not choose --no-sandbox."""


def run_notes(support):
    """One sentence on how the submissions ran: the sandbox, or what is missing and what that means."""
    if support is None:
        return 'no sandbox (--no-sandbox): the submissions\' code ran as plain processes of the teacher'
    if not support.missing:
        return 'sandboxed (bubblewrap, own uid per slot, cgroup)'
    return 'sandboxed, with pieces missing: ' + '; '.join(support.missing)


def inspect_handin(intake, case, run):
    """(findings, the test accuracies its notebook printed) of one hand-in: the rules' static checks
    (teacher/rules/) and what its run found (the notebook's rerun)."""
    findings = rules.check_handin(intake, case) + list(run.findings)
    try:
        accuracies = [] if intake.notebook_bytes is None else rules.notebook_accuracies(
            rules.read_notebook(intake.notebook_bytes))
    except rules.NotebookError:   # the notebook rule reports it
        accuracies = []
    return findings, accuracies


def grade(submissions, case, out, limits=Limits(), jobs=None, source_dir=ROOT, work=None, no_sandbox=False,
          seed=None, resume=False, only=None, lang=None, rule_points=None, stream=None, inspect=inspect_handin,
          rerun_notebooks=None, similarity=True):
    """Grade the hand-ins, store each result in DIR/gradebook.db as it is decided, then write DIR's files
    from the gradebook; (rows of grades.csv, problems).

    resume: grade only the hand-ins of the recorded run that have no result; only: the name (or path) of
    one hand-in of the recorded run, graded again. Both reuse the recorded seed and refuse another case,
    another set of hand-ins, other limits, or teacher's files changed since (GradebookError).
    lang, rule_points ({rule: points}): of the outputs (None: the recorded ones; en and none for a new run).
    work: where the submissions' folders are made (default: the system's temporary folder).
    no_sandbox: run the workers as plain processes (else NoSandbox when the sandbox cannot be built).
    seed: of the tests' inputs for a new run (default: drawn now). stream: of the progress line (stderr).
    inspect(intake, case, run) -> (findings, accuracies): the rules' checks of one hand-in.
    rerun_notebooks: rerun.NotebookLimits to run each hand-in's notebook again in the sandbox (None: not).
    similarity: also write DIR/similarity.csv and .html, with the wrong outputs each hand-in's row keeps.
    """
    support = None if no_sandbox else sandbox.support()
    if support is not None and not support.usable:
        raise NoSandbox('; '.join(support.missing) + '. Pass --no-sandbox to grade without it.')
    work = tempfile.mkdtemp(prefix='grade-', dir=work)
    try:
        os.chmod(work, 0o711)
        template = Template(case, source_dir, work)
        identity = {'case': case, 'submissions': [os.path.abspath(path) for path in submissions],
                    'limits': dataclasses.asdict(limits), 'sandbox': run_notes(support),
                    'teacher files': fingerprint(template),
                    'rerun notebooks': rerun_notebooks and dataclasses.asdict(rerun_notebooks)}
        with Gradebook(out) as book:
            record = book.open_run('resume' if resume else 'only' if only else 'new', identity, seed,
                                   {'lang': lang, 'rule points': rule_points})
            todo = ([book.position(only)] if only else
                    [i for i in range(len(record['submissions'])) if i not in book.decided()])
            _grade_class(book, template, record, todo, limits, jobs or os.cpu_count() or 1, support, work, inspect,
                         stream, rerun_notebooks)
            results, record = book.results(), book.recorded()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    rows = write_outputs(out, POINTS[case], results, record['rule points'], record['lang'])
    if similarity:
        shared = {row['name']: {int(key): words for key, words in row.get('wrong outputs', {}).items()}
                  for row, _, _ in results}
        similarity_report.write_reports(record['submissions'], case, out, behaviour=shared, source_dir=source_dir)
    return rows, _problems(case, record['reference'])


def fingerprint(template):
    """A hash of the release, the hidden tests and the teacher's case files: what the points stand on."""
    digest = hashlib.sha256()
    for rel, data in sorted({**template.files, **{'solution/' + k: v for k, v in template.solution.items()}}.items()):
        digest.update(rel.encode() + b'\0' + hashlib.sha256(data).digest())
    return digest.hexdigest()


def _problems(case, reference):
    """The table's problems against the reference's tests, and its score when short of full marks."""
    problems = table_problems(case, reference['collected'])
    if reference['score'] != reference['max']:
        problems.append(f'the teacher\'s own files score {reference["score"]} of {reference["max"]}')
    return problems


def _grade_class(book, template, record, todo, limits, jobs, support, work, inspect, stream, notebooks):
    """classrun.grade_class with the jobs of this case: each hand-in's run (and the reference's; with
    `notebooks`, its notebook's run again), checked against the rules, scored against the reference's tests
    and TODO timings (recorded, or run first: a resumed run compares with the same reference)."""
    paths, case, seed, slots = record['submissions'], record['case'], record['seed'], queue.Queue()
    for slot in range(jobs):
        slots.put(slot)

    def job(position):
        intake = None if position is None else read_submission(paths[position], template.case_files,
                                                               rules.case_notebook(case))
        slot = slots.get()
        try:
            run = run_submission(template, template.solution if intake is None else intake.files, test_files(case),
                                 limits, work, slot, support, seed)
            if notebooks and intake is not None and intake.notebook_bytes is not None:
                run.findings += rerun.check(template, intake.notebook, intake.notebook_bytes, limits, notebooks, work,
                                            slot, support, intake.files)
        finally:
            slots.put(slot)
        return intake, run, *(inspect(intake, case, run) if intake else ([], []))

    def decide(position, result, reference):
        intake, run, findings, accuracies = result
        row = score(POINTS[case], run.collected if reference is None else reference['collected'], intake, run, limits)
        if position is None:
            return {'collected': run.collected, 'score': row['score'], 'max': row['max'], 'timings': run.timings,
                    'digests': run.digests}
        row['notes'] = f'{record["sandbox"]}; inputs drawn from seed {seed}'
        row['wrong outputs'] = _wrong_outputs(row['name'], run, reference['digests'])
        findings += slow_findings(case, template.todos, run.timings, reference['timings'], intake.files,
                                  intake.found_at)
        return row, sorted(findings, key=lambda f: RULES.index(f.rule)), accuracies
    grade_class(book, paths, todo, job, decide, jobs, record.get('reference'), stream)


def _wrong_outputs(name, run, reference_digests):
    """{fingerprint (text): words} of the outputs of the tests `run` failed that differ from the reference's
    on the same inputs (similarity/behaviour.py): kept with the row, so a resumed run compares them all."""
    failed = {test for test, (outcome, _) in run.outcomes.items() if outcome == 'failed'}
    wrong = behaviour.wrong_outputs([tuple(d) for d in reference_digests], {name: run.digests}, {name: failed})
    return {str(key): words for key, words in wrong[name].items()}


def parse(argv):
    parser = argparse.ArgumentParser(
        prog='python -m teacher.grade', description='Grade student submissions (folders or .zip files) of a case. '
        'Each result is stored in DIR/gradebook.db as soon as it is decided; grades.csv, rules.csv and one feedback '
        'file per hand-in are written into DIR once all are graded. With --resume or --only the case, the hand-ins and '
        'the limits default to the recorded run\'s. See docs/teachers.md.')
    parser.add_argument('submissions', nargs='*', metavar='SUBMISSION',
                        help='folders or .zip files, one per student (with --resume or --only, default: the '
                        'recorded ones)')
    parser.add_argument('--case', type=int, choices=sorted(POINTS),
                        help='the case graded (no default for a new run; with --resume or --only, default: the '
                        'recorded one)')
    parser.add_argument('--out', required=True, metavar='DIR',
                        help='gets gradebook.db, grades.csv, rules.csv and one feedback file NAME.txt per hand-in')
    parser.add_argument('--resume', action='store_true', help='finish the run recorded in DIR: grade only the '
                        'hand-ins without a result, with its seed (the same case, hand-ins and limits; default: a '
                        'new run, refused where DIR has a gradebook)')
    parser.add_argument('--only', metavar='NAME', help='grade the hand-in NAME of the run recorded in DIR again, '
                        'with its seed (same inputs, same points: an appeal), and rewrite DIR\'s files (default: '
                        'every hand-in)')
    parser.add_argument('--lang', choices=LANGS, help='the feedback\'s language, the release README\'s '
                        '(python -m teacher.handout --lang; default: en, or the recorded one)')
    parser.add_argument('--rule-points', metavar='RULE=POINTS,...', help='what breaking a rule costs, once per '
                        'rule broken, e.g. framework=-5,vectorized=-2 (rules: notebook, report, framework, '
                        'vectorized, data; default: none, the rules are reported and cost nothing)')
    parser.add_argument('--jobs', type=int, default=None, help='hand-ins graded at once (default: the CPU count)')
    defaults = Limits()
    parser.add_argument('--time-limit', type=float, metavar='SECONDS', help='wall clock for one hand-in\'s whole '
                        f'run, then its processes are killed (default: {defaults.wall:g})')
    parser.add_argument('--test-timeout', type=float, metavar='SECONDS', help='one test, or the import of the '
                        f'hand-in\'s files; then the worker is restarted (default: {defaults.per_test:g})')
    parser.add_argument('--memory-mb', type=int, metavar='MB', help='address space of the worker: above it '
                        f'an allocation is a MemoryError in that test (default: {defaults.memory_mb})')
    parser.add_argument('--output-mb', type=int, metavar='MB', help='largest file the worker may write, its '
                        f'printing included: past it the worker is killed in that test (default: {defaults.output_mb})')
    parser.add_argument('--rerun-notebooks', action='store_true',
                        help='run each hand-in\'s notebook again in the sandbox on its own code and report printed '
                        'test accuracies that differ from the handed-in ones (default: not run; with --resume or '
                        '--only: as recorded)')
    parser.add_argument('--notebook-time-limit', type=float, metavar='SECONDS',
                        help='wall clock for one notebook\'s run with --rerun-notebooks (default: '
                        + ', '.join(f'{seconds:g} for case {case}' for case, seconds in rerun.SECONDS.items()) + ')')
    parser.add_argument('--no-similarity', action='store_true', help='skip similarity.csv and similarity.html '
                        '(default: written, the hand-ins compared with one another: teacher.similarity)')
    parser.add_argument('--no-sandbox', action='store_true', help='run the submissions\' code as plain processes '
                        'of yours, without the sandbox (only where it cannot be built; default: the sandbox)')
    return parser, parser.parse_args(argv)


def _settings(parser, args):
    """(submissions, case, limits, rule points) of the command line, the recorded run's where not given."""
    recorded = {}
    if args.resume or args.only:
        if not os.path.exists(os.path.join(args.out, NAME)):
            parser.exit(2, f'teacher.grade: error: no {NAME} in {args.out}: no grading run is recorded there to '
                        f'{"resume" if args.resume else "grade again"}\n')
        try:
            with Gradebook(args.out) as book:
                recorded = book.recorded()
        except GradebookError as error:
            parser.exit(2, f'teacher.grade: error: {error}\n')
    submissions = args.submissions or recorded.get('submissions', [])
    case = args.case or recorded.get('case')
    if not submissions or case is None:
        parser.error('give the SUBMISSIONs and --case (or --resume / --only with the --out of a recorded run)')
    missing = [path for path in submissions if not os.path.exists(path)]
    if missing:
        parser.error(f'no such submission: {", ".join(missing)}')
    limits = Limits(**{**dataclasses.asdict(Limits()), **recorded.get('limits', {}), **{key: value for key, value in (
        ('wall', args.time_limit), ('per_test', args.test_timeout), ('memory_mb', args.memory_mb),
        ('output_mb', args.output_mb)) if value is not None}})
    notebooks = recorded.get('rerun notebooks') if recorded and not args.rerun_notebooks else (
        {'seconds': args.notebook_time_limit} if args.rerun_notebooks else None)
    try:
        return (submissions, case, limits, None if args.rule_points is None else parse_rule_points(args.rule_points),
                notebooks and rerun.NotebookLimits(**notebooks))
    except ValueError as error:
        parser.error(str(error))


def main(argv=None):
    parser, args = parse(argv)
    if args.resume and args.only:
        parser.error('--resume and --only: give one of them')
    submissions, case, limits, rule_points, notebooks = _settings(parser, args)
    support = None if args.no_sandbox else sandbox.support()
    print(f'teacher.grade: {run_notes(support)}', file=sys.stderr)
    try:
        rows, problems = grade(submissions, case, args.out, limits, args.jobs, no_sandbox=args.no_sandbox,
                               resume=args.resume, only=args.only, lang=args.lang, rule_points=rule_points,
                               rerun_notebooks=notebooks, similarity=not args.no_similarity)
    except NoSandbox as error:
        print(f'teacher.grade: refusing to grade: {error}', file=sys.stderr)
        return 2
    except GradebookError as error:
        print(f'teacher.grade: error: {error}', file=sys.stderr)
        return 2
    except (Stopped, KeyboardInterrupt) as error:   # KeyboardInterrupt: before the pool started or while writing
        print(f'teacher.grade: {error or "interrupted (Ctrl-C)"}; the results stored in {args.out}/{NAME} are kept: '
              f'python -m teacher.grade --out {args.out} --resume grades the rest', file=sys.stderr)
        return 130
    for row in rows:
        if not args.only or row['name'] == submission_name(args.only):
            print(f'{row["name"]}: {row["score"]:g} / {row["max"]:g}' + (f'  ({row["flags"]})' if row['flags'] else ''))
    print('\n'.join(summary(rows)))
    for problem in problems:
        print(f'warning: {problem}', file=sys.stderr)
    unread = [row for row in rows if row['nothing read']]
    for row in unread:
        print(f'error: {row["name"]} scored 0 because nothing could be read: {row["nothing read"]}', file=sys.stderr)
    return 1 if problems or unread else 0


if __name__ == '__main__':
    sys.exit(main())
