"""Numerical gradients by central differences, and the relative error used by every check."""
import numpy as np


def numerical_gradient(f, x, h=1e-6):
    """dF/dx by (f(x + h e_i) - f(x - h e_i)) / 2h for every entry i; x is perturbed in place."""
    grad = np.zeros_like(x, dtype=np.float64)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        plus = f()
        x[i] = old - h
        minus = f()
        x[i] = old
        grad[i] = (plus - minus) / (2 * h)
    return grad


def numerical_gradient_at(values, x, h=1e-6):
    """numerical_gradient with F evaluated on all the points at once: values(points) -> [F(p) for p in
    points], the points being x with one entry moved by +h, then by -h, entry after entry (2·x.size)."""
    points = []
    for i in np.ndindex(x.shape):
        for step in (h, -h):
            point = x.copy()
            point[i] = x[i] + step
            points.append(point)
    found = values(points)
    grad = np.zeros_like(x, dtype=np.float64)
    for k, i in enumerate(np.ndindex(x.shape)):
        grad[i] = (found[2 * k] - found[2 * k + 1]) / (2 * h)
    return grad


def relative_error(analytic, numerical):
    """‖a - n‖ / (‖a‖ + ‖n‖): below 1e-6 means the analytic gradient is right to ~6 digits."""
    a, n = np.asarray(analytic, np.float64), np.asarray(numerical, np.float64)
    return np.linalg.norm(a - n) / max(np.linalg.norm(a) + np.linalg.norm(n), 1e-300)
