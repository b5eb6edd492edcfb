"""A batch cut into parts that run at once, one per core: how a ConvNet's training step uses both cores.

Every layer of a ConvNet computes each sample from that sample alone, so the batch's N rows can be cut into
P parts that go through the layers on P threads, each part on a `replica` of the layers: the same object for
the first part, and for each other part a copy that shares the layer's parameters and settings, taken anew
before each pass (`Parts.sync`), but keeps its own memory: its gradients, what forward keeps for backward
(the FFT path's spectra, the patch matrix) and its scratch arrays. The losses' δ, averaged over the whole batch
already, is cut the same way, every part runs back through its replica, and the layer's gradient is the sum of
its parts' in part order:

    grad_W = Σ_k xₖᵀ δₖ = xᵀ δ        (k = 1 … P; the sums over the batch, cut in P)

What this buys: the GEMMs, FFTs, copies and element-wise passes of a part run on one core each (numpy
releases the GIL in all of them, threads.run_parts), where numpy alone runs only the GEMMs on two, the rest
on one. `python bench/parts_rule.py` (2 cores, quiet, load 0.26): a training step of build_convnet at batch 64
took 17.3 ms cut, its parts at once, against 23.7 not cut (and 29.4 with the parts in turn); an MLP 784-256-10's
took longer cut, 0.77 against 0.28 ms at batch 32, 1.35 against 0.54 at 100, 5.08 against 2.02 at 512: its GEMMs
already use both cores well, and its many small passes make two threads take turns at the GIL. So only networks
with a ConvLayer are cut.

Same numbers on any load: P is the number of threads numpy's BLAS is set to run (OPENBLAS_NUM_THREADS and
friends, else the cores; threads.blas_threads), never the load, and each part computes the same bits on any
thread: the load decides only whether the parts run at once (threads.run_parts), never what they compute.
Another thread setting cuts the batch otherwise and changes the last bits, as BLAS's own thread count does.
After a cut pass a layer's kept arrays (Input, output, winner, cols) hold its first part's.
"""
import copy

import numpy as np

import threads
from layers import ConvLayer, FCLayer, MaxPoolingLayer, ReLULayer, ReshapeLayer, SigmoidLayer, TanhLayer, params_of

PER_SAMPLE = (ConvLayer, FCLayer, MaxPoolingLayer, ReLULayer, ReshapeLayer, SigmoidLayer, TanhLayer)   # exact types
MIN_PART = 8   # rows: fewer per part and the threads' hand-over costs more than the part


def part_count(layers, rows):
    """P, the number of parts a batch of `rows` through `layers` is cut into: threads.blas_threads() when every
    layer is one of PER_SAMPLE (exactly: a subclass may keep state across the batch), one is a ConvLayer and
    numpy's OpenBLAS can be set to one thread, at most rows // MIN_PART; else 1 (not cut)."""
    if rows < 2 * MIN_PART or not any(type(layer) is ConvLayer for layer in layers):
        return 1
    blas = threads.blas_threads()
    if blas is None or any(type(layer) not in PER_SAMPLE for layer in layers):
        return 1   # a BLAS whose threads cannot be set to one would run its own threads in every part
    return max(1, min(blas, rows // MIN_PART))


class Parts:
    """The replicas of a list of layers for P parts, the cut of the last forward's batch, and the two passes."""

    def __init__(self, layers, count):
        self.layers = list(layers)
        self.replicas = [self.layers] + [[copy.deepcopy(layer) for layer in self.layers] for _ in range(count - 1)]
        self.bounds = None

    def fits(self, layers, count):
        """Whether these replicas serve `layers` (the same objects, in order) cut in `count` parts."""
        return len(self.replicas) == count and len(layers) == len(self.layers) and all(
            a is b for a, b in zip(layers, self.layers))

    def sync(self, settings=True):
        """Each replica takes its layer's parameter arrays (params_of) as they are now, and with `settings` every
        public attribute that is not an array (pad, stride, training, ...; before forward, which sets the
        replica's own input_shape and the like). Its other arrays stay its own: the gradients a layer may write in
        place (grad_W[...] = ...), and what forward keeps for backward."""
        for replica in self.replicas[1:]:
            for layer, twin in zip(self.layers, replica):
                params = set(params_of(layer))
                twin.__dict__.update((k, v) for k, v in vars(layer).items() if k in params or settings and not (
                    k.startswith('_') or isinstance(v, np.ndarray)))

    def forward(self, x):
        """The layers' output for x (N, ...): each part x[bounds[k]:bounds[k+1]] through replica k, joined."""
        count, rows = len(self.replicas), len(x)
        self.bounds = [rows * k // count for k in range(count + 1)]
        self.sync()

        def run(k):
            out = x[self.bounds[k]:self.bounds[k + 1]]
            for layer in self.replicas[k]:
                out = layer.forward(out)
            return out
        with threads.one_blas_thread():
            return np.concatenate(threads.run_parts(run, len(self.replicas)))

    def backward(self, delta, through):
        """`through(replica, δₖ)` for every part's δₖ of δ (N, ...) at once; then each layer's gradients are
        the sums of its replicas'. Returns dE/dx joined (None when `through` gives None)."""
        if self.bounds is None or len(delta) != self.bounds[-1]:
            raise ValueError(f'Network.backward: δ holds {len(delta)} rows, the last forward pass '
                             f'{None if self.bounds is None else self.bounds[-1]}; expected the same batch')
        self.sync(settings=False)
        with threads.one_blas_thread():
            outs = threads.run_parts(lambda k: through(self.replicas[k], delta[self.bounds[k]:self.bounds[k + 1]]),
                                     len(self.replicas))
        for i, layer in enumerate(self.layers):
            for name in params_of(layer):
                total = getattr(layer, 'grad_' + name)
                for replica in self.replicas[1:]:
                    total = total + getattr(replica[i], 'grad_' + name)
                setattr(layer, 'grad_' + name, total)
        return None if outs[0] is None else np.concatenate(outs)
