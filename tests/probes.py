"""The calls the tests make into your code, one function each: plain inputs in, a dict of outputs back.

    out = run('fc_forward', x=x, W=W, b=b)     # {'u': x W + b as your FCLayer.forward computes it}

Each probe builds what it needs from the inputs (arrays, numbers, strings), calls the TODO and returns
what it gave (arrays copied, floats as floats). On your machine `run` calls the probe here, in the
test's process, so a failure shows your code in its traceback. The grader runs the same tests, but
`run` sends the probe's name and inputs to a sandboxed process holding the submission and gets the
outputs back as data: the checks, the expected values and the points stay outside (see teacher/worker.py).
The probes look your classes up when called (criterion.SoftmaxCrossEntropyLossLayer, ...), so a test
that replaces one (monkeypatch) sees its replacement.
"""
import warnings

import numpy as np

_runner = None   # the grader's remote runner while it grades, else None: the probe runs here


def use(runner):
    """Send every later call to runner(name, [inputs, ...]) -> [outputs, ...] (None: run here again);
    the previous runner."""
    global _runner
    previous, _runner = _runner, runner
    return previous


def run(name, **inputs):
    """{output name: value} of the probe `name` on `inputs`."""
    return run_many(name, [inputs])[0]


def run_many(name, inputs):
    """[{output name: value}] of the probe `name` on each of the list `inputs`, in one call of the runner."""
    if _runner is not None:
        return _runner(name, inputs)
    return [PROBES[name](**each) for each in inputs]


def outputs(name, key, varied, values, **fixed):
    """[the output `key` of run(name, **fixed, varied=value) for each value], in one call of the runner:
    what a numerical gradient needs (gradcheck.numerical_gradient_at)."""
    return [out[key] for out in run_many(name, [{**fixed, varied: value} for value in values])]


def _copy(value):
    return np.array(value, copy=True) if value is not None else None


class OneLayer:
    """A layer with a weight W and a bias b, the gradients the test sets, and the parameter protocol."""
    params, decay, trainable = ('W', 'b'), ('W',), True

    def __init__(self, W, b):
        self.W, self.b = np.array(W, np.float64), np.array(b, np.float64)
        self.grad_W, self.grad_b = np.zeros_like(self.W), np.zeros_like(self.b)


def softmax_parts(u):
    import criterion
    s, y, log_total = criterion.softmax_parts(u.copy())
    return {'s': _copy(s), 'y': _copy(y), 'log_total': _copy(log_total)}


def softmax_classifier(W, x, label, lamda):
    """The earlier case 1's function: loss, gradient (D, C) and prediction (N,) for W (D, C), x (N, D)."""
    import softmax_classifier as module
    loss, gradient, prediction = module.softmax_classifier(W.copy(), x.copy(), label, lamda)
    return {'loss': _scalar(loss), 'gradient': _copy(gradient), 'prediction': _copy(prediction)}


def _loss_layer(kind):
    import criterion
    return {'softmax': criterion.SoftmaxCrossEntropyLossLayer, 'euclidean': criterion.EuclideanLossLayer}[kind]()


def loss_forward(kind, u, gt):
    """E, self.loss and self.acc of the loss layer `kind` ('softmax' or 'euclidean') on logits u (N, K)."""
    layer = _loss_layer(kind)
    loss = layer.forward(u.copy(), gt)
    return {'loss': _scalar(loss), 'self_loss': _scalar(layer.loss), 'acc': _scalar(layer.acc)}


def loss_gradient(kind, u, gt):
    """forward then backward: E and dE/du (N, K)."""
    layer = _loss_layer(kind)
    loss = layer.forward(u.copy(), gt)
    return {'loss': _scalar(loss), 'delta': _copy(layer.backward())}


def loss_backward(kind, gt, y=None, diff=None):
    """backward alone, from the state forward keeps: y (softmax) or diff (Euclidean)."""
    layer = _loss_layer(kind)
    layer.gt = gt
    if y is not None:
        layer.y = y.copy()
    if diff is not None:
        layer.diff = diff.copy()
    return {'delta': _copy(layer.backward())}


def _model(W, b):
    import loss
    model = loss.SoftmaxCrossEntropyLoss(W.shape[0], W.shape[1], dtype=np.float64)
    model.W, model.b = W.copy(), b.copy()
    return model


def regression_loss(x, gt, W, b):
    """E of the softmax regression model (loss.py) with weights W, b on x (N, D)."""
    return {'loss': _scalar(_model(W, b).forward(x, gt)[0])}


def regression_gradients(x, gt, W, b, delta=None):
    """grad_W, grad_b of the model after forward; with delta, the criterion's backward gives delta
    and forward is not called (only x is kept, as forward keeps it)."""
    model = _model(W, b)
    if delta is None:
        model.forward(x, gt)
    else:
        model.linear.Input, model.criterion.gt = x, gt
        model.criterion.backward = lambda: delta.copy()
    model.gradient_computing()
    return {'grad_W': _copy(model.grad_W), 'grad_b': _copy(model.grad_b)}


def _fc(W, b):
    import layers
    layer = layers.FCLayer(W.shape[0], W.shape[1], dtype=np.float64)
    layer.W, layer.b = W.copy(), b.copy()
    return layer


def fc_forward(x, W, b):
    return {'u': _copy(_fc(W, b).forward(x.copy()))}


def fc_gradients(x, W, b, delta):
    """FCLayer.gradients alone, with self.Input = x as forward keeps it."""
    layer = _fc(W, b)
    layer.Input = x.copy()
    layer.gradients(delta.copy())
    return {'grad_W': _copy(layer.grad_W), 'grad_b': _copy(layer.grad_b)}


def fc_backward(x, W, b, delta, forward=True):
    """dE/dx, grad_W, grad_b from backward(delta), after forward(x) (or with self.Input = x)."""
    layer = _fc(W, b)
    if forward:
        layer.forward(x.copy())
    else:
        layer.Input = x.copy()
    dx = layer.backward(delta.copy())
    return {'dx': _copy(dx), 'grad_W': _copy(layer.grad_W), 'grad_b': _copy(layer.grad_b)}


def _activation(kind):
    import layers
    return {'ReLU': layers.ReLULayer, 'Sigmoid': layers.SigmoidLayer}[kind]()


def activation(kind, u, quiet=False):
    """f(u) of ReLU or Sigmoid; with quiet, a RuntimeWarning is caught and returned as 'warning'."""
    with warnings.catch_warnings():
        warnings.simplefilter('error' if quiet else 'ignore', RuntimeWarning)
        try:
            return {'out': _copy(_activation(kind).forward(u.copy())), 'warning': ''}
        except RuntimeWarning as warning:
            return {'out': None, 'warning': str(warning)}


def activation_backward(kind, delta, u=None, output=None):
    """backward(delta) after forward(u), or with self.output = output as forward keeps it."""
    layer = _activation(kind)
    if u is not None:
        layer.forward(u.copy())
    else:
        layer.output = output.copy()
    return {'dx': _copy(layer.backward(delta.copy()))}


def sgd_trajectory(W, b, grads_W, grads_b, learning_rate, momentum=0.0, weight_decay=0.0, nesterov=False,
                   fast=False, course_call=False):
    """[(W, b) raveled after each step] (steps, W.size + b.size) of SGD on one layer with the given
    gradients; course_call: SGD(α, λ).step(model) (case 2's form), else SGD(model, α, ...).step()."""
    import optimizer
    layer = OneLayer(W, b)
    if course_call:
        sgd = optimizer.SGD(learning_rate, weight_decay)
    else:
        sgd = optimizer.SGD(layer, learning_rate, momentum=momentum, weight_decay=weight_decay, nesterov=nesterov)
    sgd.fast = fast
    trajectory = []
    for grad_W, grad_b in zip(grads_W, grads_b):
        layer.grad_W, layer.grad_b = grad_W.copy(), grad_b.copy()
        sgd.step(layer) if course_call else sgd.step()
        trajectory.append(np.concatenate([layer.W.ravel(), layer.b.ravel()]))
    return {'trajectory': np.array(trajectory)}


def _train(model, step_of, x, labels, epochs, batch):
    for _ in range(epochs):
        for start in range(0, len(x), batch):
            step_of(x[start:start + batch], labels[start:start + batch])


def train_softmax_regression(x, labels, x_test, epochs, learning_rate, momentum, batch):
    """Scores (N_test, 10) of loss.py's model after SGD with momentum on (x, labels)."""
    import loss
    import optimizer
    model = loss.SoftmaxCrossEntropyLoss(x.shape[1], 10, rng=0, dtype=np.float64)
    sgd = optimizer.SGD(model, learning_rate, momentum=momentum)

    def step(inputs, targets):
        model.forward(inputs, targets)
        model.gradient_computing()
        sgd.step()
    _train(model, step, x, labels, epochs, batch)
    return {'scores': _copy(model.predict(x_test))}


def train_mlp(x, labels, x_test, hidden, epochs, learning_rate, momentum, weight_decay, batch):
    """Scores (N_test, 10) of network.build_mlp(hidden) after SGD with the softmax cross-entropy."""
    import criterion
    import network
    import optimizer
    net, loss_layer = network.build_mlp(list(hidden), seed=0, dtype='float64'), criterion.SoftmaxCrossEntropyLossLayer()
    sgd = optimizer.SGD(net, learning_rate, momentum=momentum, weight_decay=weight_decay)

    def step(inputs, targets):
        loss_layer.forward(net.forward(inputs), targets)
        net.backward(loss_layer.backward())
        sgd.step()
    _train(net, step, x, labels, epochs, batch)
    return {'scores': _copy(net.forward(x_test))}


def _conv(x, W, b, pad, stride):
    """A float64 ConvLayer with the weights W (F, C, kh, kw) and b (F,), for x (N, C, H, W)."""
    import conv
    layer = conv.ConvLayer(W.shape[1], W.shape[0], W.shape[2:], pad, stride=stride, dtype=np.float64)
    layer.W, layer.b = W.copy(), b.copy()
    return layer


def conv_forward(x, W, b, pad, stride):
    """u (N, F, Ho, Wo) of ConvLayer.forward (training mode: ConvLayer.correlate)."""
    return {'u': _copy(_conv(x, W, b, pad, stride).forward(x.copy()))}


def conv_backward(x, W, b, pad, stride, delta, alone=False):
    """dE/dx, grad_W, grad_b from backward(δ) after forward(x); alone: backward's own TODO, dE/dx,
    with only what forward keeps set (the patch matrix, x's shape) and gradients not called."""
    layer = _conv(x, W, b, pad, stride)
    if alone:
        layer.cols, layer.input_shape = layer.patches(x.copy()), x.shape
        layer.gradients = lambda delta: None
    else:
        layer.forward(x.copy())
    dx = layer.backward(delta.copy())
    return {'dx': _copy(dx), 'grad_W': _copy(layer.grad_W), 'grad_b': _copy(layer.grad_b)}


def conv_gradients(x, W, b, pad, stride, delta):
    """ConvLayer.gradients alone, with the patch matrix and x's shape set as forward keeps them."""
    layer = _conv(x, W, b, pad, stride)
    layer.cols, layer.input_shape = layer.patches(x.copy()), x.shape
    layer.gradients(delta.copy())
    return {'grad_W': _copy(layer.grad_W), 'grad_b': _copy(layer.grad_b)}


def pool_backward(x, delta, kernel):
    """y of MaxPoolingLayer(kernel).forward(x) and dE/dx of its backward(δ) after it."""
    import pooling
    layer = pooling.MaxPoolingLayer(kernel)
    y = layer.forward(x.copy())
    return {'y': _copy(y), 'dx': _copy(layer.backward(delta.copy()))}


def train_convnet(x, labels, x_test, epochs, learning_rate, batch):
    """Scores (N_test, 10) of conv 3×3×8 -> ReLU -> pool 2 -> flatten -> FC after Adam on (x (N, 784), labels)."""
    import criterion
    import layers
    import network
    import optimizer
    net = network.Network([layers.ReshapeLayer.to_images(), layers.ConvLayer(1, 8, 3, 1, rng=0), layers.ReLULayer(),
                           layers.MaxPoolingLayer(2), layers.ReshapeLayer((None, 8, 14, 14), (None, 1568)),
                           layers.FCLayer(1568, 10, rng=1)])
    loss_layer, adam = criterion.SoftmaxCrossEntropyLossLayer(), optimizer.Adam(net, learning_rate)

    def step(inputs, targets):
        loss_layer.forward(net.forward(inputs), targets)
        net.backward(loss_layer.backward(), input_grad=False)
        adam.step()
    _train(net, step, x, labels, epochs, batch)
    net.eval()
    return {'scores': _copy(net.forward(x_test))}


def todo_time(case, todo, seed, repeats=5):
    """{'seconds': the median time of one call of the TODO `todo` (e.g. 'FCLayer.gradients') at the
    course's shapes of `case`, 'calls'}: what the grader compares with the teacher's (probe_timing.py)."""
    import probe_timing
    return probe_timing.todo_time(case, todo, seed, repeats)


def _scalar(value):
    return None if value is None else float(np.asarray(value, np.float64).reshape(-1)[0]) if np.size(value) == 1 \
        else _copy(value)


PROBES = {function.__name__: function for function in (
    softmax_parts, softmax_classifier, loss_forward, loss_gradient, loss_backward, regression_loss, regression_gradients,
    fc_forward, fc_gradients, fc_backward, activation, activation_backward, sgd_trajectory,
    train_softmax_regression, train_mlp, conv_forward, conv_gradients, conv_backward, pool_backward, train_convnet,
    todo_time)}
