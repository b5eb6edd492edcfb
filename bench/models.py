"""The benchmark's models, built the same way on both sides: the project's through `Solver(cfg)`,
PyTorch's from the project's initial weights.

    softmax   784-10 softmax regression, SGD α = 0.01, γ = 0.9
    mlp       784-256-10, ReLU, SGD α = 0.05, γ = 0.9
    bn_adam   784-256-BN-ReLU-Dropout(0.5)-10, Adam α = 0.001, β₁ 0.9, β₂ 0.999, ε 1e-8

BatchNorm: the project's momentum 0.9 (running = 0.9·running + 0.1·batch) is PyTorch's momentum
0.1 (running = 0.9·running + 0.1·batch); ε = 1e-5 on both sides. A job may set 'dropout' (the
check run uses 0: no dropout layer on the project's side, the identity nn.Dropout(0) on PyTorch's, so
both sides compute the same numbers up to float rounding).
"""
import os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HIDDEN = 256
MODELS = ('softmax', 'mlp', 'bn_adam')
SETTINGS = {'softmax': {'learning_rate': 0.01, 'momentum': 0.9},
            'mlp': {'learning_rate': 0.05, 'momentum': 0.9},
            'bn_adam': {'optimizer': 'adam', 'learning_rate': 0.001, 'beta1': 0.9, 'beta2': 0.999, 'eps': 1e-8}}
DROPOUT, BN_MOMENTUM, BN_EPS = 0.5, 0.9, 1e-5


def dropout_of(job):
    """p of the job's dropout layer (bn_adam only; a job's 'dropout' overrides the default 0.5)."""
    return job.get('dropout', DROPOUT) if job['model'] == 'bn_adam' else 0.0


def make_solver(job):
    """The project's Solver for a job; its cfg is all a student would write."""
    from criterion import SoftmaxCrossEntropyLossLayer
    from network import build_mlp
    from solver import Solver
    cfg = {'data_root': os.path.join(ROOT, 'data'), 'max_epoch': job['epochs'], 'seed': job['seed'],
           'batch_size': job['batch_size'], 'verbose': False, **SETTINGS[job['model']]}
    if job['model'] != 'softmax':
        p = dropout_of(job)
        cfg['model'] = build_mlp([HIDDEN], 'relu', seed=job['seed'], batch_norm=job['model'] == 'bn_adam',
                                 dropout=p)
        cfg['criterion'] = SoftmaxCrossEntropyLossLayer()
    return Solver(cfg)


def torch_model(solver, job):
    """PyTorch's same model, with the project's initial weights (W (d_in, d_out) is Linear's weightᵀ)."""
    import torch
    fc = [layer for layer in solver.optimizer.layers() if hasattr(layer, 'W')]
    linears = [torch.nn.Linear(*layer.W.shape) for layer in fc]
    with torch.no_grad():
        for linear, layer in zip(linears, fc):
            linear.weight.copy_(torch.from_numpy(layer.W.T.copy()))
            linear.bias.copy_(torch.from_numpy(layer.b[0].copy()))
    if job['model'] == 'softmax':
        return linears[0]
    if job['model'] == 'mlp':
        return torch.nn.Sequential(linears[0], torch.nn.ReLU(), linears[1])
    batch_norm = torch.nn.BatchNorm1d(HIDDEN, eps=BN_EPS, momentum=1 - BN_MOMENTUM)   # γ = 1, β = 0
    return torch.nn.Sequential(linears[0], batch_norm, torch.nn.ReLU(), torch.nn.Dropout(dropout_of(job)),
                               linears[1])


def torch_optimizer(model, job):
    """torch.optim's rule with the job's settings: SGD with momentum, or Adam."""
    import torch
    s = SETTINGS[job['model']]
    if job['model'] == 'bn_adam':
        return torch.optim.Adam(model.parameters(), lr=s['learning_rate'], betas=(s['beta1'], s['beta2']),
                                eps=s['eps'])
    return torch.optim.SGD(model.parameters(), lr=s['learning_rate'], momentum=s['momentum'])
