"""Wall time and peak memory of `python -m teacher.similarity` on 300 case-2 submissions (44,850 pairs).

    python bench/similarity_time.py                 # 255 honest students + 45 disguised copies, from seed 0
    python bench/similarity_time.py --runs 3        # three runs, their median

The submissions are folders built from the similarity corpus (tests/similarity_disguise.py's build_corpus:
honest students assembled from tests/fixtures/similarity/, 3 copies per kind of disguise), built before
the clock starts. Each run is one process of the command line a teacher types; its peak RSS is the
largest resident set of that process (getrusage of the children). The issue's goal: <= 60 s and <= 1 GB
on 2 cores.
"""
import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [HERE, os.path.join(HERE, 'tests')]
from similarity_disguise import KINDS, build_corpus  # noqa: E402

GOAL_SECONDS, GOAL_MB = 60, 1024


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--submissions', type=int, default=300)
    parser.add_argument('--runs', type=int, default=1)
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args(argv)
    kinds = ('verbatim',) + KINDS + ('one_file',)
    copies = 3
    with tempfile.TemporaryDirectory(prefix='similarity-time-') as root:
        start = time.monotonic()
        truth = build_corpus(os.path.join(root, 'corpus'), honest=args.submissions - copies * len(kinds),
                             copies=copies, seed=args.seed, kinds=kinds, check=False)
        subs = [os.path.join(root, 'corpus', 'subs', name) for name in sorted(truth['names'])]
        pairs = len(subs) * (len(subs) - 1) // 2
        print(f'{len(subs)} submissions ({pairs:,} pairs) built in {time.monotonic() - start:.1f} s', flush=True)
        seconds = []
        for run in range(args.runs):
            start = time.monotonic()
            subprocess.run([sys.executable, '-m', 'teacher.similarity', *subs, '--case', '2',
                            '--out', os.path.join(root, f'out{run}')], cwd=HERE, check=True, stdout=subprocess.DEVNULL)
            seconds.append(time.monotonic() - start)
            print(f'run {run + 1}: {seconds[-1]:.1f} s', flush=True)
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    wall = statistics.median(seconds)
    print(f'teacher.similarity on {len(subs)} submissions: {wall:.1f} s (median of {len(seconds)}), '
          f'peak RSS {peak_mb:.0f} MB, on {os.cpu_count()} cores; goal <= {GOAL_SECONDS} s and <= {GOAL_MB} MB: '
          f'{"met" if wall <= GOAL_SECONDS and peak_mb <= GOAL_MB else "not met"}')


if __name__ == '__main__':
    main()
