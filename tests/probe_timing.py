"""How long each TODO takes at the course's shapes: the probe `todo_time` (tests/probes.py) runs here.

The assignment asks for vectorized code (no `for` loop over the samples of a batch). The grader times
each TODO of the case in the worker that holds the submission, and the teacher's version the same way,
on inputs drawn from the same seed, and reports a TODO more than ten times slower than the teacher's.
The shapes are the course's: case 1 a batch of 100 images, 784 -> 10; case 2 784 -> 256 -> 10 (each FC
TODO timed on both layers); case 3 the course's ConvNet (network.build_convnet) on a batch of 64, each
convolution TODO timed on both conv layers. float32, as the course trains.

    probes.run('todo_time', case=1, todo='FCLayer.gradients', seed=0)   # {'seconds': 2.1e-05, 'calls': 80}
"""
import time

import numpy as np

BATCH, CLASSES, HIDDEN, CONV_BATCH = 100, 10, 256, 64
DTYPE = np.float32
SHAPES = {1: (784, 10), 2: (784, HIDDEN, 10)}   # the FC layers' sizes of cases 1 and 2
TARGET_SECONDS = 0.002   # one measurement times enough calls to take at least this long
BUDGET_SECONDS = 0.5     # per TODO, after the first call: no more repeats past it


def todo_time(case, todo, seed, repeats=5):
    """{'seconds': the median time of one call, 'calls': how many were timed} of the TODO `todo`
    (e.g. 'FCLayer.gradients') at the shapes of `case`, inputs drawn from np.random.default_rng(seed)."""
    rng = np.random.default_rng(seed)
    call = _fc_todos(todo, rng, SHAPES[case]) if case in SHAPES else _conv_todos(todo, rng)
    start = time.perf_counter()
    call()                                   # the first call also warms up (and raises for a TODO not done)
    first = time.perf_counter() - start
    per_round = max(1, min(1000, int(TARGET_SECONDS / max(first, 1e-7))))
    times, deadline = [first], time.perf_counter() + BUDGET_SECONDS
    for _ in range(repeats):
        if time.perf_counter() > deadline:
            break
        start = time.perf_counter()
        for _ in range(per_round):
            call()
        times.append((time.perf_counter() - start) / per_round)
    measured = times[1:] or times
    return {'seconds': float(np.median(measured)), 'calls': 1 + per_round * (len(times) - 1)}


def _each(calls):
    """One callable running each of `calls` in turn: a TODO timed on every layer that has it."""
    return lambda: [call() for call in calls]


def _fc_todos(todo, rng, sizes):
    import criterion
    import layers
    import network
    import optimizer
    import softmax_classifier
    x = rng.standard_normal((BATCH, sizes[0])).astype(DTYPE)
    labels = rng.integers(0, CLASSES, BATCH)
    u = rng.standard_normal((BATCH, CLASSES)).astype(DTYPE)
    if todo == 'softmax_parts':
        return lambda: criterion.softmax_parts(u.copy())
    if todo == 'softmax_classifier':
        W = (0.01 * rng.standard_normal((sizes[0], CLASSES))).astype(DTYPE)
        return lambda: softmax_classifier.softmax_classifier(W, x, labels, 1e-4)
    loss_class, _, method = todo.partition('.')
    if loss_class in ('SoftmaxCrossEntropyLossLayer', 'EuclideanLossLayer'):
        loss = getattr(criterion, loss_class)()
        loss.forward(u, labels)
        return (lambda: loss.forward(u, labels)) if method == 'forward' else loss.backward
    fcs = [layers.FCLayer(n_in, n_out, rng=rng, dtype=DTYPE) for n_in, n_out in zip(sizes, sizes[1:])]
    inputs = [x] + [rng.standard_normal((BATCH, n)).astype(DTYPE) for n in sizes[1:-1]]
    deltas = [rng.standard_normal((BATCH, n)).astype(DTYPE) / BATCH for n in sizes[1:]]
    for fc, given in zip(fcs, inputs):   # what forward keeps, and gradients for the update rule
        fc.Input = given
        fc.grad_W, fc.grad_b = (rng.standard_normal(p.shape).astype(DTYPE) for p in (fc.W, fc.b))
    if todo.startswith('FCLayer.'):
        return _each([(lambda fc=fc, given=given: fc.forward(given)) if method == 'forward'
                      else (lambda fc=fc, delta=delta: getattr(fc, method)(delta))
                      for fc, given, delta in zip(fcs, inputs, deltas)])
    if todo.startswith(('ReLULayer.', 'SigmoidLayer.')):
        activation, given = getattr(layers, loss_class)(), inputs[-1] if len(inputs) > 1 else u
        activation.forward(given)
        return (lambda: activation.forward(given)) if method == 'forward' else (lambda: activation.backward(given))
    if todo.startswith('SGD._update_'):
        sgd = optimizer.SGD(network.Network(fcs), 0.01, momentum=0.9, weight_decay=1e-4)
        sgd.fast = method == '_update_fast'
        return sgd.step
    raise KeyError(f'no timing for the TODO {todo!r} of the FC cases')


def _conv_todos(todo, rng):
    import network
    net = network.build_convnet(seed=int(rng.integers(2 ** 31)), dtype=DTYPE)
    net.train()
    seen, x = [], rng.standard_normal((CONV_BATCH, 784)).astype(DTYPE)
    for layer in net.layers:   # each layer with its input and a δ shaped like its output
        out = layer.forward(x)
        seen.append((layer, x, (rng.standard_normal(out.shape) / CONV_BATCH).astype(DTYPE)))
        x = out
    convs = [entry for entry in seen if type(entry[0]).__name__ == 'ConvLayer']
    pool, given, delta = next(entry for entry in seen if type(entry[0]).__name__ == 'MaxPoolingLayer')
    if todo == 'ConvLayer.correlate':
        return _each([lambda layer=layer, given=given: layer.correlate(given) for layer, given, _ in convs])
    if todo in ('ConvLayer.gradients', 'ConvLayer.backward'):
        kept, method = [(layer, layer.patches(given), given.shape, delta) for layer, given, delta in convs], todo[10:]

        def run():
            for layer, cols, shape, delta in kept:   # what a training-mode forward keeps, set again each call
                layer.cols, layer.input_shape = cols, shape
                getattr(layer, method)(delta)
        return run
    if todo == 'ConvLayer._fast_path':   # the choice it makes: each layer's training forward, by the path it picks
        return _each([lambda layer=layer, given=given: layer.forward(given) for layer, given, _ in convs])
    if todo == 'MaxPoolingLayer.backward':
        pool.forward(given)
        return lambda: pool.backward(delta)
    raise KeyError(f'no timing for the TODO {todo!r} of the CNN case')
