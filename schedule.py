"""The lecture's learning-rate and momentum schedules, applied by the Solver after each epoch.

Contract of a schedule: `update(optimizer, epoch, metrics)` is called after each epoch, with
`epoch` the number of epochs completed (1, 2, ...) and `metrics` a dict holding 'train_loss' and
'val_loss'; it may change `optimizer.learning_rate` and `optimizer.momentum` (every rule has a
learning rate; SGD's momentum is γ, Adam's is β₁, AdaGrad and RMSProp refuse one).
"""



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
