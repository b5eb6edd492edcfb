"""The one-line hint of the course's `train()` when its first epoch barely learned.

The course's values (SGD(0.001, 0.1), batch 100) suit a loss layer whose backward returns the
batch's summed gradient y − t; this project's default averages it, (y − t)/N, so those values take
N times smaller steps and a sigmoid network stays near chance for epochs, with no error to say why.
The hint says so once, with the run's numbers, and training goes on.

Rule: the first epoch "barely learned" when the mean loss of its last tenth of batches is above
3/4 of the mean loss of its first tenth (the training loss fell by less than a quarter), and not
above 11/10 of it (a loss that rises is a step that is too large, not too small).
"""
import numpy as np

LEARNED = 0.75   # the loss must end below this fraction of where it started
RISEN = 1.1      # above this fraction it rose: no hint about small steps


def slow_start_hint(losses, learning_rate, weight_decay, batch_size, criterion):
    """The hint's text when the first epoch's batch losses `losses` barely fell, else None.

    learning_rate α and weight_decay λ: the optimizer's; criterion: the loss layer (its class name
    and `reduction`, 'mean' when it has none, go into the text).
    """
    if len(losses) < 2:
        return None
    tenth = max(1, len(losses) // 10)
    first, last = float(np.mean(losses[:tenth])), float(np.mean(losses[-tenth:]))
    if not (np.isfinite(first) and first > 0 and LEARNED * first < last <= RISEN * first):
        return None
    fell = f'Hint: the training loss went only from {first:.4f} to {last:.4f} in the first epoch. '
    reduction, name = getattr(criterion, 'reduction', 'mean'), type(criterion).__name__
    if reduction != 'mean':
        return fell + f'α = {learning_rate:g} with gradients summed over batches of {batch_size}: try a larger α.'
    return fell + (f'α = {learning_rate:g} with gradients averaged over batches of {batch_size} '
                   f"(reduction='mean'): the course's values assume summed gradients; try "
                   f"{name}(reduction='sum'), or α = {learning_rate * batch_size:g} and "
                   f'λ = {weight_decay / batch_size:g} (α×{batch_size}, λ÷{batch_size}).')


class FirstEpochHint:
    """The display of a Solver that trains for the course's `train()`: passes every hook (progress.py)
    on to the solver's own display and, after the first training epoch, shows the hint if there is one."""

    def __init__(self, solver, batch_size):
        self.solver, self.display, self.batch_size = solver, solver.display, batch_size

    def __getattr__(self, name):
        return getattr(self.display, name)

    def train_epoch(self, epoch, loss, acc, seconds):
        self.display.train_epoch(epoch, loss, acc, seconds)
        if epoch == 0:
            optimizer = self.solver.optimizer
            text = slow_start_hint(self.solver.history['iteration_loss'], optimizer.learning_rate,
                                   optimizer.weight_decay, self.batch_size, self.solver.criterion)
            if text:
                self.display.say(text)
