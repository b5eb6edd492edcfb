"""`python -m report [--quick] [--out DIR] ...`: run the assignment's experiments and write the report.

One BLAS thread unless the environment says otherwise, set before numpy loads: the matrices here are
small (batch 100), and on a busy 2-core machine two OpenBLAS threads made an MLP epoch 10x slower
(17 s vs 1.5 s).
"""
import os
import sys

if __name__ == '__main__':
    os.environ.setdefault('OPENBLAS_NUM_THREADS', '1')
    from report.experiments import main
    sys.exit(main())
