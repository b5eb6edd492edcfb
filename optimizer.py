"""SGD with momentum and weight decay, and the lecture's learning-rate and momentum schedules.

Contract: `SGD(model, ...)` updates, on every `step()`, each layer in `model.trainable_layers()`
(for a model without that method: the model itself, if `model.trainable`). A trainable layer is
anything with arrays W, b and their gradients grad_W, grad_b; the optimizer knows nothing else
about the model, and it looks the layers and arrays up afresh on every step, so assigning
`layer.W = ...` takes effect at once.

Contract of a schedule: `update(optimizer, epoch, metrics)` is called after each epoch, with
`epoch` the number of epochs completed (1, 2, ...) and `metrics` a dict holding 'train_loss' and
'val_loss'; it may change `optimizer.learning_rate` and `optimizer.momentum`.
"""
import numbers

import numpy as np

FLUSH_EVERY = 64   # steps between flushes of small velocities (see flush_subnormals)
BLOCK = 32768      # elements per piece of a parameter in the update (see _blocks)


class SGD:
    """v = γ·v − α·(∇E + λ·w);  w = w + v.  For biases, λ = 0 (biases are not decayed).

    With γ = 0 this is exactly w = w − α·∇J. Each parameter has its own velocity, starting at 0.
    Two ways to make one (see `_parse_sgd_args`):
        SGD(model, learning_rate, momentum=0.0, weight_decay=0.0)   case 1: then step()
        SGD(learning_rate, weight_decay=0.0)                         the course's case 2: then step(model)
    """

    def __init__(self, *args, **kwargs):
        model, self.learning_rate, self.momentum, self.weight_decay = _parse_sgd_args(args, kwargs)
        self.model = model
        self.velocity = {}     # layer -> (v_W, v_b)
        self._scratch = {}     # layer -> one flat array for α·∇E, reused on every step
        self.steps = 0

    def bind(self, model):
        """Update `model` from now on (the course's SGD(α, λ) is made before its model); returns self."""
        self.model = model
        return self

    def layers(self):
        if self.model is None:
            raise ValueError('this SGD has no model yet: call step(model), or make it as SGD(model, learning_rate)')
        if hasattr(self.model, 'trainable_layers'):
            return self.model.trainable_layers()
        return [self.model] if getattr(self.model, 'trainable', False) else []

    def step(self, model=None):
        """One update of every trainable parameter from its current gradient (allocates nothing).

        model: the course's case-2 call `optimizer.step(model)`; it binds the optimizer to it.
        """
        if model is not None:
            self.bind(model)
        self.steps += 1
        flush = self.momentum > 0 and self.steps % FLUSH_EVERY == 0
        for layer in self.layers():
            velocities, scratch = self._buffers_of(layer)
            for param, grad, velocity, decay in ((layer.W, layer.grad_W, velocities[0], self.weight_decay),
                                                 (layer.b, layer.grad_b, velocities[1], 0.0)):
                for block in _blocks(param, grad, velocity):
                    self._update(*block, _view_like(scratch, block[0]), decay)
                if flush:
                    # below tiny/γ^64, |v| could turn subnormal before the next flush (for γ >= 0.5);
                    # the cap (2e-19 in float32) is far below what can move a weight of size 1e-11
                    tiny = np.finfo(velocity.dtype).tiny
                    flush_subnormals(velocity, tiny * min(self.momentum ** -FLUSH_EVERY, 2.0 ** 64))

    def _update(self, param, grad, velocity, scratch, decay):
        """v = γ·v − α·∇E − αλ·w, then w = w + v, in place; α·∇E and αλ·w pass through `scratch`."""
        velocity *= self.momentum
        velocity -= np.multiply(grad, self.learning_rate, out=scratch)
        if decay:
            velocity -= np.multiply(param, self.learning_rate * decay, out=scratch)
        param += velocity

    def _buffers_of(self, layer):
        """((v_W, v_b), scratch); v starts at 0, and again if W or b changes shape or dtype.

        The scratch holds one piece (see _blocks), or all of W or b when that is smaller.
        """
        v, params = self.velocity.get(layer), (layer.W, layer.b)
        if v is None or any(a.shape != p.shape or a.dtype != p.dtype for a, p in zip(v, params)):
            v = self.velocity[layer] = tuple(np.zeros_like(p) for p in params)
            self._scratch[layer] = np.empty(max(min(BLOCK, layer.W.size), layer.b.size), layer.W.dtype)
        return v, self._scratch[layer]


SGD_FORMS = ('SGD(model, learning_rate, momentum=0.0, weight_decay=0.0) then step(), '
             'or the course\'s case-2 SGD(learning_rate, weight_decay=0.0) then step(model)')


def _is_number(value):
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _parse_sgd_args(args, kwargs):
    """(model or None, α, γ, λ) from a call in one of the two forms; TypeError for anything else.

    A first argument that is a number can only be the course's learning rate, so SGD(0.001, 0.1)
    means α = 0.001, λ = 0.1; an object there is the model.
    """
    course = (args and _is_number(args[0])) or (not args and 'model' not in kwargs)
    names = ('learning_rate', 'weight_decay') if course else ('model', 'learning_rate', 'momentum', 'weight_decay')
    given = dict(zip(names, args))
    if len(args) > len(names) or set(given) & set(kwargs) or set(kwargs) - set(names):
        raise TypeError(f'SGD{_call_text(args, kwargs)} matches neither accepted form: {SGD_FORMS}')
    given.update(kwargs)
    if 'learning_rate' not in given:
        raise TypeError(f'SGD{_call_text(args, kwargs)}: learning_rate is missing; the accepted forms: {SGD_FORMS}')
    model = given.pop('model', None)
    if not course and not (hasattr(model, 'trainable_layers') or hasattr(model, 'trainable')):
        raise TypeError(f'SGD: the model {model!r} has neither trainable_layers() nor trainable; '
                        f'the accepted forms: {SGD_FORMS}')
    values = {'learning_rate': given['learning_rate'], 'momentum': given.get('momentum', 0.0),
              'weight_decay': given.get('weight_decay', 0.0)}
    for name, value in values.items():
        low_ok = value > 0 if name == 'learning_rate' else value >= 0
        if not _is_number(value) or not low_ok or (name == 'momentum' and value >= 1):
            allowed = {'learning_rate': 'a number > 0', 'momentum': 'a number in [0, 1)',
                       'weight_decay': 'a number >= 0'}[name]
            raise ValueError(f'SGD: {name} = {value!r}, expected {allowed}; the accepted forms: {SGD_FORMS}')
    return model, float(values['learning_rate']), float(values['momentum']), float(values['weight_decay'])


def _call_text(args, kwargs):
    return '(' + ', '.join([repr(a) for a in args] + [f'{k}={v!r}' for k, v in kwargs.items()]) + ')'


def _blocks(param, grad, velocity):
    """The three arrays cut into matching flat pieces of BLOCK elements, or whole if one is not
    C-contiguous. A piece of w, ∇E, v and the scratch fit in the 1-2 MiB L2 cache together, so the
    update's four passes over a piece read memory once instead of four times (W1 of the 784-256-10
    MLP, measured: 167 -> 123 us alone; in the training loop 0.94x / 0.84x of the whole-array
    update's time at batch 100 / 512)."""
    if param.size <= BLOCK or not all(a.flags.c_contiguous for a in (param, grad, velocity)):
        return [(param, grad, velocity)]
    flat = [a.reshape(-1) for a in (param, grad, velocity)]
    return [[a[i:i + BLOCK] for a in flat] for i in range(0, param.size, BLOCK)]


def _view_like(scratch, array):
    """`scratch` viewed with the shape of `array`, or None (numpy allocates) when it is too small
    or of another dtype (a float64 b beside a float32 W keeps its float64 arithmetic)."""
    if array.size > scratch.size or array.dtype != scratch.dtype:
        return None
    return scratch[:array.size].reshape(array.shape)


def flush_subnormals(array, below=None):
    """Set entries with |v| < below to zero, in place; by default below is the smallest normal
    float, so exactly the subnormal entries are zeroed.

    Velocities of weights that stop receiving gradient decay as γ^t into subnormal floats, whose
    arithmetic is 10-100× slower on x86; numpy cannot switch the CPU to flush-to-zero, so we do it.
    """
    below = np.finfo(array.dtype).tiny if below is None else below
    np.copyto(array, 0, where=np.abs(array) < below)


class ReduceOnPlateau:
    """α ← factor·α when the monitored loss improved by less than `threshold` over the last epoch.

    monitor='val_loss' is the lecture's rule on held-out data (the validation split, never the
    test set); monitor='train_loss' with factor 0.5 is "halve the rate when progress slows".
    """

    def __init__(self, factor=0.5, threshold=1e-3, monitor='val_loss'):
        self.factor, self.threshold, self.monitor = factor, threshold, monitor
        self.previous = None

    def update(self, optimizer, epoch, metrics):
        value = metrics[self.monitor]
        if self.previous is not None and self.previous - value < self.threshold:
            optimizer.learning_rate *= self.factor
        self.previous = value


class InverseTimeDecay:
    """α_t = a / (b + t), t = epochs completed; α_0 = a / b."""

    def __init__(self, a, b):
        self.a, self.b = a, b

    def rate(self, t):
        return self.a / (self.b + t)

    def update(self, optimizer, epoch, metrics):
        optimizer.learning_rate = self.rate(epoch)


class MomentumRamp:
    """γ = initial (0.5) while training settles, then final (0.9) from epoch `epochs` on."""

    def __init__(self, initial=0.5, final=0.9, epochs=5):
        self.initial, self.final, self.epochs = initial, final, epochs

    def value(self, t):
        return self.initial if t < self.epochs else self.final

    def update(self, optimizer, epoch, metrics):
        optimizer.momentum = self.value(epoch)
