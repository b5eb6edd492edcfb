"""Case 3's diagnoses are themselves tested: each usual mistake of a convolution or a pooling layer,
planted in the project's code, makes the test that teaches fail with the mistake's name.
Teacher-only (not in a release)."""
import numpy as np
import pytest

import conv
import pooling
import test_case3
from test_diagnose import failure


def flipped_forward(self, Input):
    W = self.W
    try:
        self.W = W[:, :, ::-1, ::-1]
        return RIGHT_CORRELATE(self, Input)
    finally:
        self.W = W


def bias_per_pixel(self, delta):
    RIGHT_GRADIENTS(self, delta)
    self.grad_b = delta.sum(axis=0)   # (F, Ho, Wo): summed over N only


def flipped_gradients(self, delta):
    RIGHT_GRADIENTS(self, delta)
    self.grad_W = self.grad_W[:, :, ::-1, ::-1].copy()


def padded_backward(self, delta):
    """Backward on x as if it were xp (the padded input) with no padding: dE/dxp, border included."""
    (N, C, H, W), p = self.input_shape, self.pad
    self.input_shape, self.pad = (N, C, H + 2 * p, W + 2 * p), 0
    try:
        return RIGHT_BACKWARD(self, delta)
    finally:
        self.input_shape, self.pad = (N, C, H, W), p


def flipped_backward(self, delta):
    W = self.W
    try:
        self.W = np.ascontiguousarray(W[:, :, ::-1, ::-1])
        return RIGHT_BACKWARD(self, delta)
    finally:
        self.W = W


def every_tied_cell(self, delta):
    grad = np.zeros(self.input_shape, delta.dtype)
    for (_, window), (_, target) in zip(self.offsets(self.last_input), self.offsets(grad)):
        target += delta * (window == self.last_output)
    return grad


def keeping_input(forward):
    """The forward pass, also keeping its input and output for every_tied_cell."""
    def wrapped(self, Input):
        self.last_input = Input
        self.last_output = forward(self, Input)
        return self.last_output
    return wrapped


RIGHT_CORRELATE, RIGHT_GRADIENTS, RIGHT_BACKWARD = (conv.ConvLayer.correlate, conv.ConvLayer.gradients,
                                                   conv.ConvLayer.backward)


@pytest.mark.parametrize('attribute, mistake, test, text', [
    ('correlate', flipped_forward, test_case3.test_conv_forward_is_the_cross_correlation, 'kernel flipped'),
    ('gradients', bias_per_pixel, test_case3.test_conv_gradients_are_the_sums_over_the_batch_and_the_pixels,
     'bias gradient not summed over N, H and W'),
    ('gradients', flipped_gradients, test_case3.test_conv_gradients_are_the_sums_over_the_batch_and_the_pixels,
     'kernel flipped'),
    ('backward', padded_backward, test_case3.test_conv_backward_is_the_gradient_of_the_input,
     'padding forgotten in backward'),
    ('backward', flipped_backward, test_case3.test_conv_backward_is_the_gradient_of_the_input, 'kernel flipped'),
])
def test_each_convolution_mistake_gets_its_diagnosis(attribute, mistake, test, text, monkeypatch, rng):
    monkeypatch.setattr(conv.ConvLayer, attribute, mistake)
    message = failure(test, 'pad 1, stride 1', rng)
    assert 'Diagnosis: ' + text in message, message


def test_sending_the_gradient_to_every_tied_cell_is_named(monkeypatch, rng):
    monkeypatch.setattr(pooling.MaxPoolingLayer, 'forward', keeping_input(pooling.MaxPoolingLayer.forward))
    monkeypatch.setattr(pooling.MaxPoolingLayer, 'backward', every_tied_cell)
    message = failure(test_case3.test_pooling_backward_sends_each_windows_gradient_to_its_first_maximum,
                      test_case3.TIES, test_case3.POOL_DELTA, rng)
    assert 'Diagnosis: gradient sent to every tied cell' in message, message


def test_a_todo_not_done_yet_is_named(monkeypatch, rng):
    def todo(self, *args):
        raise NotImplementedError('conv.py: TODO ConvLayer.correlate — not implemented yet')
    monkeypatch.setattr(conv.ConvLayer, 'correlate', todo)
    assert 'ConvLayer.correlate — not implemented yet' in failure(
        test_case3.test_conv_forward_is_the_cross_correlation, 'pad 1, stride 2', rng)
