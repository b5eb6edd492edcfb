"""The one-line hint of the course's `train()` when its first epoch barely learned.

The course's values (SGD(0.001, 0.1), batch 100) suit a loss layer whose backward returns the
batch's summed gradient y − t; this project's default averages it, (y − t)/N, so those values take
N times smaller steps and a sigmoid network stays near chance for epochs, with no error to say why.
The hint says so once, with the run's numbers, and training goes on.

Rule, over the first epoch's batches: it "barely learned" when the mean loss of its last tenth is
above 3/4 of the mean loss of its first tenth (the training loss fell by less than a quarter), or
when the mean accuracy of its last tenth is below 1/2 (a Euclidean loss falls fast to the value of
predicting 0.1 for every class while accuracy stays low); never when the loss rose above 11/10 of
where it started (a step too large, not too small). A healthy course run ends its first epoch near
0.8-0.9 training accuracy with the loss down by 3/4.
"""
import numpy as np

LEARNED = 0.75   # the loss must end below this fraction of where it started
RISEN = 1.1      # above this fraction it rose: no hint about small steps
LOW_ACCURACY = 0.5


def slow_start_hint(losses, accuracies, learning_rate, weight_decay, batch_size, criterion):
    """The hint's text when the first epoch barely learned, else None.

    losses, accuracies: the first epoch's per-batch values (accuracies None when the criterion's
    `.acc` is not an accuracy); learning_rate α and weight_decay λ: the optimizer's; criterion: the
    loss layer (its class name and `reduction`, 'mean' when it has none, go into the text).
    """
    if len(losses) < 2:
        return None
    tenth = max(1, len(losses) // 10)
    first, last = float(np.mean(losses[:tenth])), float(np.mean(losses[-tenth:]))
    accuracy = None if accuracies is None else float(np.mean(accuracies[-tenth:]))
    if not (np.isfinite(first) and first > 0) or last > RISEN * first:
        return None
    if last <= LEARNED * first and (accuracy is None or accuracy >= LOW_ACCURACY):
        return None
    fell = f'Hint: in the first epoch the training loss went only from {first:.4f} to {last:.4f}' + (
        '' if accuracy is None else f', and the accuracy of its last batches is {accuracy:.2f}') + '. '
    reduction, name = getattr(criterion, 'reduction', 'mean'), type(criterion).__name__
    if reduction != 'mean':
        return fell + f'α = {learning_rate:g} with gradients summed over batches of {batch_size}: try a larger α.'
    return fell + (f'α = {learning_rate:g} with gradients averaged over batches of {batch_size} '
                   f"(reduction='mean'): the course's values assume summed gradients; try "
                   f"{name}(reduction='sum'), or α = {learning_rate * batch_size:g} and "
                   f'λ = {weight_decay / batch_size:g} (α×{batch_size}, λ÷{batch_size}).')


class FirstEpochHint:
    """The display of a Solver that trains for the course's `train()`: passes every hook (progress.py)
    on to the solver's own display, keeps the first epoch's batch losses and accuracies, and after
    that epoch shows the hint if there is one."""

    def __init__(self, solver, batch_size):
        self.solver, self.display, self.batch_size = solver, solver.display, batch_size
        self.losses, self.accuracies = [], []

    def __getattr__(self, name):
        return getattr(self.display, name)

    def batch(self, epoch, iteration, loss, acc, size):
        self.display.batch(epoch, iteration, loss, acc, size)
        if epoch == 0:
            self.losses.append(loss)
            self.accuracies.append(acc)

    def train_epoch(self, epoch, loss, acc, seconds):
        self.display.train_epoch(epoch, loss, acc, seconds)
        if epoch == 0:
            optimizer = self.solver.optimizer
            accuracies = self.accuracies if self.solver.metric == 'acc' else None
            text = slow_start_hint(self.losses, accuracies, optimizer.learning_rate, optimizer.weight_decay,
                                   self.batch_size, self.solver.criterion)
            if text:
                self.display.say(text)
