"""The two signatures of `optimizer.SGD`: the library's SGD(model, learning_rate, ...) and the course's case-2
SGD(learning_rate, weight_decay) whose step() takes the model; a call that matches neither is a TypeError that
shows the call and both forms, never a guess."""
import numbers

SGD_FORMS = ('SGD(model, learning_rate, momentum=0.0, weight_decay=0.0, nesterov=False) then step(), '
             'or the course\'s case-2 SGD(learning_rate, weight_decay=0.0) then step(model)')


def is_number(value):
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def parse_sgd_args(args, kwargs):
    """{argument name: value} of a call in one of the two forms; TypeError for anything else.

    A first argument that is a number can only be the course's learning rate, so SGD(0.001, 0.1)
    means α = 0.001, λ = 0.1; an object there is the model.
    """
    course = (args and is_number(args[0])) or (not args and 'model' not in kwargs)
    names = ('learning_rate', 'weight_decay') if course else ('model', 'learning_rate', 'momentum', 'weight_decay',
                                                               'nesterov')
    given = dict(zip(names, args))
    if len(args) > len(names) or set(given) & set(kwargs) or set(kwargs) - set(names):
        raise TypeError(f'SGD{_call_text(args, kwargs)} matches neither accepted form: {SGD_FORMS}')
    if not course and given.get('model', kwargs.get('model')) is None:
        raise TypeError(f'SGD: the model is None; the accepted forms: {SGD_FORMS}')
    if 'learning_rate' not in given and 'learning_rate' not in kwargs:
        raise TypeError(f'SGD{_call_text(args, kwargs)}: learning_rate is missing; the accepted forms: {SGD_FORMS}')
    return {**given, **kwargs}


def _call_text(args, kwargs):
    return '(' + ', '.join([repr(a) for a in args] + [f'{k}={v!r}' for k, v in kwargs.items()]) + ')'
