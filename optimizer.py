"""The lecture's update rules (SGD with momentum or Nesterov, AdaGrad, RMSProp, Adam) on one base,
and its learning-rate and momentum schedules (schedule.py, importable from here too).

Contract: an optimizer made as `Rule(model, ...)` updates, on every `step()`, each parameter of
each layer in `model.trainable_layers()` (for a model without that method: the model itself, if
`model.trainable`). It reads the layers through the parameter protocol of layers.py only: the
names in `layer.params`, gradient `grad_<name>`, weight decay λ·w for the names in `layer.decay`.
It looks the arrays up afresh on every step, so assigning `layer.W = ...` takes effect at once;
a parameter's state (velocity, moments) starts again at 0 when its shape or dtype changes.

Every rule states its formula twice in code: `_update_plain`, the textbook form, line by line,
and `_update_fast`, the same arithmetic in place (no allocation per step, in cache-sized pieces, see
`inplace.blocks`), which `step()` runs unless `fast` is False. tests/test_tricks.py checks they agree.
"""
import numpy as np

from inplace import BLOCK, adaptive_step, blocks, decayed_gradient, flush_subnormals, views_like  # noqa: F401
from layers import decays, params_of
from schedule import InverseTimeDecay, MomentumRamp, ReduceOnPlateau  # noqa: F401 (their old home)
from sgd_forms import SGD_FORMS, is_number, parse_sgd_args

FLUSH_EVERY = 64   # steps between flushes of small decaying state (see flush_subnormals)
SETTINGS = {   # name: (check, what is allowed), for every rule's constructor
    'learning_rate': (lambda v: v > 0, 'a number > 0'), 'weight_decay': (lambda v: v >= 0, 'a number >= 0'),
    'momentum': (lambda v: 0 <= v < 1, 'a number in [0, 1)'), 'eps': (lambda v: v > 0, 'a number > 0'),
    'beta1': (lambda v: 0 <= v < 1, 'a number in [0, 1)'), 'beta2': (lambda v: 0 <= v < 1, 'a number in [0, 1)'),
    'decay_rate': (lambda v: 0 <= v < 1, 'a number in [0, 1)')}


def _refuse_momentum(self, value):
    raise AttributeError(f'{type(self).__name__} has no momentum to set (MomentumRamp works with SGD and Adam)')


class Optimizer:
    """The base of every rule: walks the parameter protocol and keeps each parameter's state.

    A rule defines `slots` (its state arrays, each starting at 0 with the parameter's shape),
    `decaying` (slot -> the attribute holding its decay factor, for the subnormal flush) and the
    two forms of its update. ∇J below is ∇E + λ·w for decayed parameters and ∇E for the others.
    """
    slots, decaying = (), {}
    momentum = property(lambda self: 0.0, _refuse_momentum, doc='0: a rule without momentum')
    forms = ''   # how to call the rule, for error messages

    def __init__(self, model, learning_rate, weight_decay=0.0, **settings):
        self._check_model(model)
        for name, value in dict(settings, learning_rate=learning_rate, weight_decay=weight_decay).items():
            check, allowed = SETTINGS[name]
            if not is_number(value) or not check(value):
                raise ValueError(f'{type(self).__name__}: {name} = {value!r}, expected {allowed}{self.forms}')
            setattr(self, name, float(value))
        self.model, self.fast, self.steps = model, True, 0
        self.state = {}      # (layer, name) -> {'t': updates so far, slot: array}
        self._scratch = {}   # layer -> one flat array for two pieces of intermediate results
        self._views = {}     # (layer, shape, dtype) -> two views of the layer's scratch with that shape

    def bind(self, model):
        """Update `model` from now on (e.g. the course's SGD(α, λ) is made before its model); returns self."""
        self._check_model(model)
        self.model = model
        return self

    def _check_model(self, model):
        if model is not None and not (hasattr(model, 'trainable_layers') or hasattr(model, 'trainable')):
            raise TypeError(f'{type(self).__name__}: the model {model!r} has neither trainable_layers() nor '
                            f'trainable{self.forms}')

    def layers(self):
        if self.model is None:
            raise ValueError(f'this {type(self).__name__} has no model yet: call step(model), or pass the '
                             f'model first, e.g. {type(self).__name__}(model, learning_rate)')
        if hasattr(self.model, 'trainable_layers'):
            return self.model.trainable_layers()
        return [self.model] if getattr(self.model, 'trainable', False) else []

    def step(self, model=None):
        """One update of every trainable parameter from its current gradient.

        model: the course's case-2 call `optimizer.step(model)`; it binds the optimizer to it.
        """
        if model is not None:
            self.bind(model)
        self.steps += 1
        for layer in self.layers():
            for name in params_of(layer):
                param, grad = getattr(layer, name), getattr(layer, 'grad_' + name)
                state = self._state_of(layer, name, param)
                state['t'] += 1
                decay = self.weight_decay if decays(layer, name) else 0.0
                if not self.fast:
                    self._update_plain(param, grad, state, decay)
                    continue
                for piece in blocks(param, grad, *(state[s] for s in self.slots)):
                    pieces = dict(zip(self.slots, piece[2:]), t=state['t'])
                    self._update_fast(piece[0], piece[1], pieces, self._scratch_views(layer, piece[0]), decay)
        if self.steps % FLUSH_EVERY == 0:
            self._flush()

    def _flush(self):
        """Zero the state entries that could turn subnormal before the next flush (see flush_subnormals).

        Below tiny/ρ^64 (ρ the slot's decay factor) an entry could turn subnormal in 64 steps; the
        cap (2e-19 in float32) is far below what can move a weight of size 1e-11.
        """
        for state in self.state.values():
            for slot, factor in self.decaying.items():
                rate = getattr(self, factor)
                if rate > 0:
                    tiny = np.finfo(state[slot].dtype).tiny
                    flush_subnormals(state[slot], tiny * min(rate ** -FLUSH_EVERY, 2.0 ** 64))

    def _state_of(self, layer, name, param):
        """The parameter's state; made anew (zeros, t = 0) when its shape or dtype changed, and then
        the layer's scratch too."""
        state = self.state.get((layer, name))
        if state is None or any(state[s].shape != param.shape or state[s].dtype != param.dtype for s in self.slots):
            state = self.state[(layer, name)] = {'t': 0, **{s: np.zeros_like(param) for s in self.slots}}
            self._scratch.pop(layer, None)
            self._views = {key: views for key, views in self._views.items() if key[0] is not layer}
        return state

    def _scratch_views(self, layer, piece):
        """Two pieces of the layer's scratch shaped like `piece` (see inplace.views_like), made once.

        The scratch holds two pieces of the layer's largest parameter, in the dtype of its first one.
        """
        key = (layer, piece.shape, piece.dtype)
        if key not in self._views:
            if layer not in self._scratch:
                params = [getattr(layer, name) for name in params_of(layer)]
                self._scratch[layer] = np.empty(2 * max(min(BLOCK, p.size) for p in params), params[0].dtype)
            self._views[key] = views_like(self._scratch[layer], piece)
        return self._views[key]

    def _update_plain(self, param, grad, state, decay):
        raise NotImplementedError

    def _update_fast(self, param, grad, state, scratch, decay):
        raise NotImplementedError


class SGD(Optimizer):
    """v ← γ·v − α·∇J;  w ← w + v   (Nesterov: v ← γ·v − α·∇J;  w ← w + γ·v − α·∇J).

    With γ = 0 this is exactly w ← w − α·∇J. Each parameter has its own velocity v, starting at 0.
    Two ways to make one (see `sgd_forms.parse_sgd_args`):
        SGD(model, learning_rate, momentum=0.0, weight_decay=0.0, nesterov=False)   then step()
        SGD(learning_rate, weight_decay=0.0)         the course's case 2: then step(model)
    """
    slots, decaying = ('v',), {'v': 'momentum'}
    momentum = 0.0   # a plain attribute here: schedules set it
    forms = '; the accepted forms: ' + SGD_FORMS

    def __init__(self, *args, **kwargs):
        given = parse_sgd_args(args, kwargs)
        self.nesterov = given.get('nesterov', False)
        if not isinstance(self.nesterov, bool):
            raise ValueError(f'SGD: nesterov = {self.nesterov!r}, expected True or False')
        super().__init__(given.get('model'), given.get('learning_rate'), given.get('weight_decay', 0.0),
                         momentum=given.get('momentum', 0.0))

    @property
    def velocity(self):
        """{layer: (v of each parameter, in the layer's order)}: a view of `state` for reading."""
        by_layer = {}
        for (layer, _), state in self.state.items():
            by_layer.setdefault(layer, []).append(state['v'])
        return {layer: tuple(v) for layer, v in by_layer.items()}

    def _update_plain(self, param, grad, state, decay):
        ### BEGIN SOLUTION case 1 2
        grad = grad + decay * param                                    # ∇J = ∇E + λ·w
        v = state['v']
        v[...] = self.momentum * v - self.learning_rate * grad         # v ← γ·v − α·∇J
        if self.nesterov:
            param += self.momentum * v - self.learning_rate * grad     # w ← w + γ·v − α·∇J
        else:
            param += v                                                 # w ← w + v
        ### END SOLUTION

    def _update_fast(self, param, grad, state, scratch, decay):
        """As _update_plain, in place; α·∇E, α·λ·w and γ·v pass through the scratch."""
        ### BEGIN SOLUTION case 1 2
        v, (step, extra) = state['v'], scratch
        v *= self.momentum
        step = np.multiply(grad, self.learning_rate, out=step)                  # α·∇E
        v -= step
        if decay:
            extra = np.multiply(param, self.learning_rate * decay, out=extra)   # α·λ·w
            v -= extra
        if not self.nesterov:
            param += v
            return
        param -= step
        if decay:
            param -= extra
        param += np.multiply(v, self.momentum, out=extra)
        ### END SOLUTION


class AdaGrad(Optimizer):
    """G ← G + ∇J ⊙ ∇J;  w ← w − α·∇J / (√G + ε).

    Each weight's step shrinks with the sum of its squared gradients: rarely updated weights keep
    large steps. G starts at 0.
    """
    slots = ('G',)

    def __init__(self, model, learning_rate=0.01, eps=1e-8, weight_decay=0.0):
        super().__init__(model, learning_rate, weight_decay, eps=eps)

    def _update_plain(self, param, grad, state, decay):
        grad = grad + decay * param                                    # ∇J = ∇E + λ·w
        G = state['G']
        G += grad * grad                                               # G ← G + ∇J ⊙ ∇J
        param -= self.learning_rate * grad / (np.sqrt(G) + self.eps)   # w ← w − α·∇J / (√G + ε)

    def _update_fast(self, param, grad, state, scratch, decay):
        grad, tmp = decayed_gradient(grad, param, decay, scratch)
        state['G'] += np.multiply(grad, grad, out=tmp)
        adaptive_step(param, grad, state['G'], tmp, self.learning_rate, 1.0, self.eps)


class RMSProp(Optimizer):
    """s ← ρ·s + (1 − ρ)·∇J ⊙ ∇J;  w ← w − α·∇J / (√s + ε), with ρ = decay_rate.

    AdaGrad with a moving average in place of the sum, so steps do not shrink for ever. s starts at 0.
    """
    slots, decaying = ('s',), {'s': 'decay_rate'}

    def __init__(self, model, learning_rate=0.001, decay_rate=0.99, eps=1e-8, weight_decay=0.0):
        super().__init__(model, learning_rate, weight_decay, decay_rate=decay_rate, eps=eps)

    def _update_plain(self, param, grad, state, decay):
        grad = grad + decay * param                                    # ∇J = ∇E + λ·w
        s, rho = state['s'], self.decay_rate
        s[...] = rho * s + (1 - rho) * grad * grad                     # s ← ρ·s + (1 − ρ)·∇J ⊙ ∇J
        param -= self.learning_rate * grad / (np.sqrt(s) + self.eps)   # w ← w − α·∇J / (√s + ε)

    def _update_fast(self, param, grad, state, scratch, decay):
        grad, tmp = decayed_gradient(grad, param, decay, scratch)
        s = state['s']
        s *= self.decay_rate
        tmp = np.multiply(grad, grad, out=tmp)
        tmp *= 1 - self.decay_rate
        s += tmp
        adaptive_step(param, grad, s, tmp, self.learning_rate, 1.0, self.eps)


class Adam(Optimizer):
    """m ← β₁·m + (1 − β₁)·∇J;  v ← β₂·v + (1 − β₂)·∇J ⊙ ∇J;
    m̂ = m / (1 − β₁ᵗ);  v̂ = v / (1 − β₂ᵗ);  w ← w − α·m̂ / (√v̂ + ε).

    Momentum (m) and RMSProp's scaling (v) together; m and v start at 0, so in the first steps they
    are too small by the factors 1 − βᵗ, which the bias correction m̂, v̂ divides out. t counts the
    parameter's updates. `momentum` is β₁ under another name, so MomentumRamp can schedule it.
    """
    slots, decaying = ('m', 'v'), {'m': 'beta1', 'v': 'beta2'}
    momentum = property(lambda self: self.beta1, lambda self, value: setattr(self, 'beta1', value))

    def __init__(self, model, learning_rate=0.001, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0):
        super().__init__(model, learning_rate, weight_decay, beta1=beta1, beta2=beta2, eps=eps)

    def _update_plain(self, param, grad, state, decay):
        grad = grad + decay * param                                    # ∇J = ∇E + λ·w
        m, v, t, b1, b2 = state['m'], state['v'], state['t'], self.beta1, self.beta2
        m[...] = b1 * m + (1 - b1) * grad                              # m ← β₁·m + (1 − β₁)·∇J
        v[...] = b2 * v + (1 - b2) * grad * grad                       # v ← β₂·v + (1 − β₂)·∇J ⊙ ∇J
        m_hat, v_hat = m / (1 - b1 ** t), v / (1 - b2 ** t)            # bias correction
        param -= self.learning_rate * m_hat / (np.sqrt(v_hat) + self.eps)   # w ← w − α·m̂ / (√v̂ + ε)

    def _update_fast(self, param, grad, state, scratch, decay):
        """As _update_plain, in place: α·m̂ / (√v̂ + ε) = (α / (1 − β₁ᵗ))·m / (√v / √(1 − β₂ᵗ) + ε)."""
        grad, tmp = decayed_gradient(grad, param, decay, scratch)
        m, v, t, b1, b2 = state['m'], state['v'], state['t'], self.beta1, self.beta2
        m *= b1
        m += np.multiply(grad, 1 - b1, out=tmp)
        v *= b2
        tmp = np.multiply(grad, grad, out=tmp)
        tmp *= 1 - b2
        v += tmp
        adaptive_step(param, m, v, tmp, self.learning_rate / (1 - b1 ** t), (1 - b2 ** t) ** -0.5, self.eps)


RULES = {'sgd': SGD, 'adagrad': AdaGrad, 'rmsprop': RMSProp, 'adam': Adam}
