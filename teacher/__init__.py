"""The teacher's wing: student releases made from the solution regions, and grading of hand-ins that
does not trust them. Never part of a release; importing the package loads nothing.

How data flows through it:
  release   `python -m teacher.handout OUT --case N`: the course's modules at the root, each solution
            region (markers.py) a TODO, given or withheld for case N (handout.py), a README in the
            student's language (release_readme.py) → the release tree, checked to hold no solution line
            it must not and no file of this wing.
  grading   `python -m teacher.grade SUBMISSION... --case N --out DIR`: each hand-in (folder or .zip)
            → intake.py (the case's files, and for the rules its notebook, PDFs and other sources; sizes
            capped; entries.py reads the folder or zip) → rules/ (check_handin: the assignment's rules,
            read, never run) → run.py writes two folders: the grading
            folder (the release, the teacher's own case files, tests_hidden/) where a trusted pytest
            runs with plugin.py, and the worker's folder (the release's modules with the submitted
            files) where worker.py answers, inside the sandbox (sandbox.py), the probes remote.py sends
            → outcomes per test (records.py reads back what the plugin recorded) → points
            (points.POINTS), a few hand-ins at a time (classrun.py), each result stored as it is
            decided in DIR/gradebook.db (gradebook.py: --resume, --only) with its findings against
            the assignment's rules (findings.py) → grades.csv, rules.csv and one feedback file per
            submission (feedback.py, outputs.py), written from the gradebook.
            After the tests the worker times each TODO (timing.py compares the times with the
            reference's: vectorized/slow findings); with --rerun-notebooks the hand-in's notebook
            runs again in a second sandboxed process (rerun.py, notebook_worker.py) and the test
            accuracies it prints are compared with the handed-in ones.

The trust boundary: the process that runs the assertions and counts points never imports a
submission. The submission's code runs only in its worker, as its own unprivileged uid per slot, with
no network, the Python installation and its own files read-only, a small scratch tmpfs, limits on
processes, memory, CPU time and file size, and a cgroup that ends every process it started. Requests
and answers cross as JSON and .npy (never pickle, sizes capped); inputs come from a seed drawn at
grading time, and the expected values, the solution, the hidden tests and the output folder stay on
the trusted side, out of the worker's view.
"""
