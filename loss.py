"""Case 1's model, as the course has it: softmax regression = a linear layer + softmax + cross-entropy.

The loss layers themselves live in criterion.py (the course's case-2 room); they are importable from
here too, so case-1 code that imports them from loss.py keeps working.
"""
import numpy as np

from criterion import (EuclideanLossLayer, RegressionLossLayer, SigmoidCrossEntropyLossLayer,  # noqa: F401
                       SoftmaxCrossEntropyLossLayer, softmax_parts)
from layers import FCLayer
from network import load_layers, save_layers


class SoftmaxCrossEntropyLoss:
    """Case 1's model: u = x W + b, y = softmax(u), E = cross-entropy, averaged over the batch.

    W (num_input, num_output) starts as N(0, 0.01²) draws from `rng` (a seed or Generator), b at
    zero. W, b, grad_W, grad_b are the linear layer's arrays, readable and assignable here.
    """

    def __init__(self, num_input, num_output, trainable=True, rng=None, dtype=np.float32):
        self.linear = FCLayer(num_input, num_output, init='gaussian', rng=rng, dtype=dtype)
        self.criterion = SoftmaxCrossEntropyLossLayer()
        self.trainable = trainable

    W = property(lambda self: self.linear.W, lambda self, value: setattr(self.linear, 'W', value))
    b = property(lambda self: self.linear.b, lambda self, value: setattr(self.linear, 'b', value))
    grad_W = property(lambda self: self.linear.grad_W,
                      lambda self, value: setattr(self.linear, 'grad_W', value))
    grad_b = property(lambda self: self.linear.grad_b,
                      lambda self, value: setattr(self.linear, 'grad_b', value))

    def forward(self, Input, labels):
        """(loss, acc) of a batch: Input (N, num_input), labels (N,) integers or (N, K) targets."""
        self.criterion.forward(self.linear.forward(Input), labels)
        return self.criterion.loss, self.criterion.acc

    def gradient_computing(self):
        """grad_W = xᵀ(y - t)/N and grad_b = Σ_n (y_n - t_n)/N for the last forward batch.

        Only the parameters' gradients: dE/dx, which case 1 never uses, is not computed.
        """
        self.linear.gradients(self.criterion.backward())

    def predict(self, Input):
        """Class scores u = x W + b (N, num_output); argmax gives the predicted digit."""
        return Input @ self.W + self.b

    def trainable_layers(self):
        return [self.linear] if self.trainable else []

    def save(self, path):
        """Write W and b to an .npz file, atomically."""
        save_layers(path, [self.linear], {'model': 'SoftmaxCrossEntropyLoss'})

    def load(self, path):
        """Read W and b saved by `save`; shapes must match this model's."""
        load_layers(path, [self.linear])
