"""The earlier case 1 (the course's 2018–2022 homework): softmax regression as one function, which
the notebook's own loop calls and follows with W = W - learning_rate * gradient.

It follows the course's docstring of `softmax_classifier(W, input, label, lamda)`: W (D, C), input
(N, D), label (N, C) one-hot; the loss averaged over the minibatch, the gradient with respect to W
(D, C), the predicted classes. Two points that docstring leaves open are settled here:
- lamda multiplies the lecture's weight decay: J = E + (λ/2)‖W‖², so ∇J = ∇E + λW, the λ of
  SGD(α, λ) in case 2 (and of the course's own commented lines).
- prediction is (N,), not the docstring's (N, 1): its notebook compares it with
  np.argmax(label, axis=1), and (N, 1) == (N,) would broadcast to (N, N).
The model has no bias, as the course's.
"""
import numpy as np

from criterion import check_targets, softmax_parts, subtract_targets


def softmax_classifier(W, input, label, lamda):
    """(loss, gradient, prediction) of softmax regression without bias on one minibatch.

    W (D, C) weights; input x (N, D); label t (N, C) one-hot (or integer labels (N,)); lamda λ ≥ 0.
    With u = x W (N, C) and y = softmax(u):
        loss J = -(1/N) Σ_n Σ_c t_nc log y_nc + (λ/2) Σ W²   (a float)
        gradient ∇J = xᵀ(y − t)/N + λW   (D, C)
        prediction = argmax_c u_nc   (N,) integers
    The softmax is criterion.softmax_parts, which never overflows.
    """
    W, input = np.asarray(W), np.asarray(input)
    if input.ndim != 2 or W.ndim != 2 or input.shape[1] != W.shape[0]:
        raise ValueError(f'softmax_classifier: W {W.shape} and input {input.shape}: expected W (D, C) '
                         f'and input (N, D) with the same D (D = 784 for MNIST)')
    if isinstance(lamda, bool) or not isinstance(lamda, (int, float, np.floating, np.integer)) or lamda < 0:
        raise ValueError(f'softmax_classifier: lamda = {lamda!r}, expected a number >= 0')
    label = check_targets(np.empty((len(input), W.shape[1]), np.result_type(input, W)), label)
    ### BEGIN SOLUTION case 1
    n = len(input)
    logit = input @ W
    s, y, log_total = softmax_parts(logit)
    if label.ndim == 1:
        cross_entropy = (log_total.sum() - s[np.arange(n), label].sum()) / n
    else:
        cross_entropy = -(label * (s - log_total)).sum() / n
    loss = float(cross_entropy + 0.5 * lamda * np.sum(W * W))
    gradient = input.T @ subtract_targets(y, label) / n + lamda * W
    prediction = logit.argmax(axis=1)
    ### END SOLUTION
    return loss, gradient, prediction
