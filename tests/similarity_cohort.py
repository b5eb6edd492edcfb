"""A small class of case-2 submissions for the similarity tests: honest answers in different styles, as
students write them, and the helpers that put answers into the release's files.

`ANSWERS[function]` holds a few working answers to each case-2 TODO; `student(k)` picks one per TODO for
student k (a fixed table, so two students share a few answers, as honest students do, never most);
`case_files(answers)` gives {file: text} of a submission: the release with those TODOs answered and
the others left as the release has them.
"""
import os
import textwrap

from teacher import handout

ANSWERS = {
    'softmax_parts': [
        """s = logit - logit.max(axis=1, keepdims=True)
y = np.exp(s)
total = y.sum(axis=1, keepdims=True)
return s, y / total, np.log(total)""",
        """shifted = logit - np.max(logit, axis=1)[:, None]
e = np.exp(shifted)
log_total = np.log(np.sum(e, axis=1)).reshape(-1, 1)
return shifted, np.exp(shifted - log_total), log_total""",
        """m = np.amax(logit, 1, keepdims=True)
s = logit - m
lse = np.log(np.exp(s).sum(1, keepdims=True))
y = np.exp(s - lse)
return s, y, lse""",
        """rows = []
for row in logit:
    rows.append(row - row.max())
s = np.array(rows)
ex = np.exp(s)
z = np.einsum('ij->i', ex)[:, None]
return s, ex / z, np.log(z)""",
    ],
    'SoftmaxCrossEntropyLossLayer.forward': [
        """s, self.y, log_total = softmax_parts(logit)
t = np.eye(logit.shape[1])[gt] if gt.ndim == 1 else gt
self.loss = float(-np.sum(t * (s - log_total)) / logit.shape[0])
self.gt, self.acc = gt, accuracy(logit, gt)""",
        """s, y, lt = softmax_parts(logit)
self.y = y
self.gt = gt
n = len(gt)
if gt.ndim == 1:
    picked = s[np.arange(n), gt] - lt[:, 0]
    self.loss = float(-picked.mean())
else:
    self.loss = float(-(gt * (s - lt)).sum() / n)
self.acc = accuracy(logit, gt)""",
        """parts = softmax_parts(logit)
self.y = parts[1]
log_y = parts[0] - parts[2]
onehot = gt
if gt.ndim == 1:
    onehot = np.zeros_like(logit)
    onehot[np.arange(len(gt)), gt] = 1
self.loss = -np.mean(np.sum(onehot * log_y, axis=1))
self.gt = gt
self.acc = accuracy(logit, gt)""",
        """s, y, log_total = softmax_parts(logit)
self.y, self.gt = y, gt
targets = subtract_targets(np.zeros_like(y), gt) * -1
self.loss = float(np.einsum('ij,ij->', targets, log_total - s)) / len(y)
self.acc = accuracy(logit, gt)""",
    ],
    'SoftmaxCrossEntropyLossLayer.backward': [
        """delta = subtract_targets(self.y.copy(), self.gt)
return delta / len(self.gt)""",
        """n = self.y.shape[0]
g = self.y.copy()
if self.gt.ndim == 1:
    g[np.arange(n), self.gt] -= 1
else:
    g -= self.gt
return g / n""",
        """grad = subtract_targets(np.array(self.y), self.gt)
grad *= 1.0 / self.y.shape[0]
return grad""",
        """t = np.eye(self.y.shape[1])[self.gt] if self.gt.ndim == 1 else self.gt
return (self.y - t) / len(t)""",
    ],
    'EuclideanLossLayer.forward': [
        """self.diff = subtract_targets(logit.copy(), gt)
self.loss = float(0.5 * np.sum(self.diff ** 2) / len(logit))
self.acc = accuracy(logit, gt)""",
        """d = subtract_targets(np.array(logit, dtype=float), gt)
self.diff = d
self.loss = float(np.mean(np.sum(d * d, axis=1)) / 2)
self.acc = accuracy(logit, gt)""",
        """self.diff = subtract_targets(logit.copy(), gt)
n = logit.shape[0]
total = 0.0
for row in self.diff:
    total += row @ row
self.loss = total / (2 * n)
self.acc = accuracy(logit, gt)""",
        """diff = subtract_targets(logit.copy(), gt)
self.loss = 0.5 * float(np.square(diff).sum(axis=1).mean())
self.acc = accuracy(logit, gt)
self.diff = diff""",
    ],
    'EuclideanLossLayer.backward': [
        """return self.diff / len(self.diff)""",
        """n = self.diff.shape[0]
return self.diff * (1.0 / n)""",
        """return np.divide(self.diff, self.diff.shape[0])""",
        """grad = self.diff.copy()
grad /= grad.shape[0]
return grad""",
    ],
    'FCLayer.forward': [
        """self.Input = Input
return Input @ self.W + self.b""",
        """self.Input = Input
out = np.dot(Input, self.W)
out += self.b
return out""",
        """self.Input = Input
return np.matmul(Input, self.W) + self.b.reshape(1, -1)""",
        """self.Input = Input
return np.einsum('ni,io->no', Input, self.W) + self.b""",
    ],
    'FCLayer.backward': [
        """self.gradients(delta)
return delta @ self.W.T""",
        """self.gradients(delta)
dx = np.dot(delta, self.W.T)
return dx""",
        """self.gradients(delta)
return np.einsum('no,io->ni', delta, self.W)""",
        """self.gradients(delta)
return np.matmul(delta, np.transpose(self.W))""",
    ],
    'FCLayer.gradients': [
        """self.grad_W = self.Input.T @ delta
self.grad_b = delta.sum(axis=0, keepdims=True)""",
        """x = self.Input
self.grad_W = np.dot(x.T, delta)
self.grad_b = np.sum(delta, axis=0).reshape(1, -1)""",
        """self.grad_W = np.einsum('ni,no->io', self.Input, delta)
self.grad_b = np.ones((1, delta.shape[0])) @ delta""",
        """gw = np.zeros((self.Input.shape[1], delta.shape[1]))
for n in range(delta.shape[0]):
    gw += np.outer(self.Input[n], delta[n])
self.grad_W = gw
self.grad_b = delta.mean(axis=0, keepdims=True) * delta.shape[0]""",
    ],
    'ReLULayer.forward': [
        """self.output = np.maximum(Input, 0)
return self.output""",
        """self.output = Input * (Input > 0)
return self.output""",
        """out = np.where(Input > 0, Input, 0.0)
self.output = out
return out""",
        """self.output = Input.clip(min=0)
return self.output""",
    ],
    'ReLULayer.backward': [
        """return delta * (self.output > 0)""",
        """grad = delta.copy()
grad[self.output <= 0] = 0
return grad""",
        """return np.where(self.output > 0, delta, 0.0)""",
        """mask = (self.output > 0).astype(delta.dtype)
return np.multiply(delta, mask)""",
    ],
    'SigmoidLayer.forward': [
        """self.output = 0.5 + 0.5 * np.tanh(0.5 * Input)
return self.output""",
        """pos = Input >= 0
e = np.exp(-np.abs(Input))
self.output = np.where(pos, 1 / (1 + e), e / (1 + e))
return self.output""",
        """self.output = np.exp(-np.logaddexp(0, -Input))
return self.output""",
        """clipped = np.clip(Input, -500, 500)
self.output = 1.0 / (1.0 + np.exp(-clipped))
return self.output""",
    ],
    'SigmoidLayer.backward': [
        """return delta * self.output * (1 - self.output)""",
        """s = self.output
return delta * (s - s ** 2)""",
        """return np.multiply(delta, self.output * (1.0 - self.output))""",
        """grad = self.output * (1 - self.output)
grad *= delta
return grad""",
    ],
    'SGD._update_plain': [
        """grad = grad + decay * param
v = state['v']
v[...] = self.momentum * v - self.learning_rate * grad
if self.nesterov:
    param += self.momentum * v - self.learning_rate * grad
else:
    param += v""",
        """g = grad + decay * param
state['v'] *= self.momentum
state['v'] -= self.learning_rate * g
step = state['v'] if not self.nesterov else self.momentum * state['v'] - self.learning_rate * g
param += step""",
        """total = np.add(grad, np.multiply(decay, param))
v = state['v']
v *= self.momentum
v -= self.learning_rate * total
if not self.nesterov:
    param += v
    return
param += self.momentum * v
param -= self.learning_rate * total""",
        """lr, mu = self.learning_rate, self.momentum
g = grad + param * decay
new_v = mu * state['v'] - lr * g
state['v'][...] = new_v
param[...] = param + (mu * new_v - lr * g if self.nesterov else new_v)""",
    ],
}
# student k's answer to each TODO: ANSWERS[function][CHOICES[k][i]], functions in ANSWERS' order
CHOICES = [   # each answer used by two students; no two students share more than 3 of the 13
    (2, 2, 2, 3, 2, 1, 3, 3, 2, 1, 0, 1, 0),
    (3, 1, 3, 2, 0, 2, 2, 1, 1, 1, 3, 0, 3),
    (1, 0, 3, 0, 1, 3, 0, 2, 2, 0, 2, 2, 2),
    (2, 2, 1, 2, 0, 1, 1, 2, 3, 2, 3, 2, 1),
    (0, 1, 0, 1, 1, 3, 1, 3, 1, 2, 0, 3, 0),
    (3, 3, 2, 0, 2, 2, 0, 0, 0, 0, 1, 0, 1),
    (0, 0, 0, 1, 3, 0, 2, 0, 0, 3, 2, 1, 2),
    (1, 3, 1, 3, 3, 0, 3, 1, 3, 3, 1, 3, 3),
]


def student(k, leave=()):
    """{function: answer} of student k of CHOICES, without the TODOs named in `leave` (left unfinished)."""
    return {f: ANSWERS[f][c] for f, c in zip(ANSWERS, CHOICES[k]) if f not in leave}


def case_files(answers, case=2):
    """{file: text} of a submission: the release of `case` with the TODOs in `answers` answered."""
    files = {}
    for name in handout.case_files(case):
        path = os.path.join(handout.ROOT, name)
        with open(path, encoding='utf-8') as handle:
            lines = handle.read().split('\n')
        out, at = [], 0
        for begin, end, cases, function in handout.regions(path, name):
            out += lines[at:begin]
            indent = lines[begin][:len(lines[begin]) - len(lines[begin].lstrip())]
            role = cases.role(case)
            if role == 'todo' and function in answers:
                out += textwrap.indent(answers[function], indent).split('\n')
            elif role == 'todo':
                out += handout._todo(name, function, indent)
            else:
                out += lines[begin + 1:end]
            at = end + 1
        files[name] = '\n'.join(out + lines[at:])
    return files


def write(root, name, files):
    """The submission folder root/name holding {file: text}; its path."""
    folder = os.path.join(root, name)
    os.makedirs(folder)
    for file, text in files.items():
        with open(os.path.join(folder, file), 'w', encoding='utf-8') as handle:
            handle.write(text)
    return folder

