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
import numpy as np

FLUSH_EVERY = 64   # steps between flushes of subnormal velocities


class SGD:
    """v = γ·v − α·(∇E + λ·w);  w = w + v.  For biases, λ = 0 (biases are not decayed).

    With γ = 0 this is exactly w = w − α·∇J. Each parameter has its own velocity, starting at 0.
    """

    def __init__(self, model, learning_rate, momentum=0.0, weight_decay=0.0):
        self.model = model
        self.learning_rate, self.momentum, self.weight_decay = learning_rate, momentum, weight_decay
        self.velocity = {}     # layer -> (v_W, v_b)
        self.steps = 0

    def layers(self):
        if hasattr(self.model, 'trainable_layers'):
            return self.model.trainable_layers()
        return [self.model] if getattr(self.model, 'trainable', False) else []

    def step(self):
        """One update of every trainable parameter from its current gradient."""
        self.steps += 1
        flush = self.momentum > 0 and self.steps % FLUSH_EVERY == 0
        for layer in self.layers():
            v_W, v_b = self._velocity_of(layer)
            grad_W = layer.grad_W + self.weight_decay * layer.W if self.weight_decay else layer.grad_W
            for param, velocity, grad in ((layer.W, v_W, grad_W), (layer.b, v_b, layer.grad_b)):
                velocity *= self.momentum
                velocity -= self.learning_rate * grad
                param += velocity
                if flush:
                    flush_subnormals(velocity)

    def _velocity_of(self, layer):
        v = self.velocity.get(layer)
        if v is None or v[0].shape != layer.W.shape or v[1].shape != layer.b.shape:
            v = self.velocity[layer] = (np.zeros_like(layer.W), np.zeros_like(layer.b))
        return v


def flush_subnormals(array):
    """Set subnormal entries to zero, in place.

    Velocities of weights that stop receiving gradient decay as γ^t into subnormal floats, whose
    arithmetic is 10-100× slower on x86; numpy cannot switch the CPU to flush-to-zero, so we do it.
    """
    np.copyto(array, 0, where=np.abs(array) < np.finfo(array.dtype).tiny)


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
