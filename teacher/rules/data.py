"""The rule "hand in no data set": what the intake met that is one (teacher/intake.py records it, unread)."""
from teacher.findings import Finding


def check_data(intake):
    """[Finding('data', 'data-set', path)] for each data folder, MNIST file or file over the limit found."""
    return [Finding('data', 'data-set', path, 0, f'{path} is {what}: the assignment asks for no data set in the hand-in '
                    '(the MNIST files come with the release)') for path, what in intake.data_sets]
