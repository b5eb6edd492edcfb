"""parallel.py and threads.run_parts: a ConvNet's batch cut into parts computes what the whole batch does, the
same bits on one core or two, exact gradients (float64), and only networks whose layers are all per-sample."""
import os
import threading
import time

import numpy as np
import pytest

import parallel
import threads
from gradcheck import numerical_gradient, relative_error
from layers import BatchNormLayer, FCLayer, ReLULayer
from network import Network, build_convnet, build_mlp


def small_convnet(dtype='float32', seed=3):
    return build_convnet(seed=seed, dtype=dtype, channels=(3, 4), kernel_size=3, image_shape=(1, 8, 8))


def passes(net, x, delta):
    """(output, dE/dx, [grad arrays]) of one forward and backward pass of `net`."""
    out = net.forward(x)
    dx = net.backward(delta)
    grads = [getattr(layer, 'grad_' + name).copy() for layer, name in net.parameters()]
    return out.copy(), dx.copy(), grads


@pytest.fixture
def cut_in(monkeypatch):
    """cut_in(P): BLAS set to P threads, so a ConvNet's batch is cut in P parts."""
    def cut(parts):
        monkeypatch.setattr(threads, 'blas_threads', lambda: parts)
    return cut


@pytest.mark.parametrize('parts', [2, 3])
def test_a_convnet_cut_in_parts_computes_what_the_whole_batch_does(parts, cut_in, rng):
    x = rng.standard_normal((37, 64)).astype(np.float32)
    delta = rng.standard_normal((37, 10)).astype(np.float32)
    cut_in(parts)
    net, whole = small_convnet(), small_convnet()
    whole.fast = False   # fast off: never cut
    assert parallel.part_count(net.run_order(), len(x)) == parts
    got, want = passes(net, x, delta), passes(whole, x, delta)
    assert isinstance(net._parts, parallel.Parts) and whole._parts is None
    for a, b in zip([got[0], got[1], *got[2]], [want[0], want[1], *want[2]]):
        assert a.shape == b.shape and np.abs(a - b).max() <= 1e-5 * np.abs(b).max()


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason='the parts run on one thread with one core')
def test_the_parts_give_the_same_bits_on_one_thread_or_two(cut_in, rng, monkeypatch):
    """Whether the parts run at once or one after the other, the numbers are the same to the bit."""
    x = rng.standard_normal((32, 64)).astype(np.float32)
    delta = rng.standard_normal((32, 10)).astype(np.float32)
    seen, task = set(), threads.run_parts

    def spy(work, count):
        return task(lambda k: (seen.add(threading.current_thread().name), work(k))[1], count)
    monkeypatch.setattr(threads, 'run_parts', spy)
    cut_in(2)
    two = passes(small_convnet(), x, delta)
    assert len(seen) == 2
    monkeypatch.setattr(threads, 'run_parts', lambda work, count: [work(k) for k in range(count)])
    one = passes(small_convnet(), x, delta)
    for a, b in zip([two[0], two[1], *two[2]], [one[0], one[1], *one[2]]):
        assert np.array_equal(a, b)


def test_gradients_of_a_cut_batch_are_exact_float64(cut_in, rng):
    """E = Σ (output ⊙ R) / N; the summed parts' gradients against central differences."""
    cut_in(2)
    net = small_convnet('float64', seed=5)
    x, weights = rng.standard_normal((16, 64)), rng.standard_normal((16, 10)) / 16
    net.forward(x)
    net.backward(weights, input_grad=False)
    assert net._parts is not None
    for layer, name in net.parameters():
        analytic = getattr(layer, 'grad_' + name).copy()
        numerical = numerical_gradient(lambda: float(np.sum(net.forward(x) * weights)), getattr(layer, name))
        assert relative_error(analytic, numerical) < 1e-7, (layer, name)


def test_only_networks_of_per_sample_layers_with_a_convolution_are_cut(cut_in):
    cut_in(2)

    class MyReLU(ReLULayer):   # a subclass may keep state across the batch
        pass
    conv = small_convnet().run_order()
    assert parallel.part_count(conv, 64) == 2 and parallel.part_count(conv, 2 * parallel.MIN_PART - 1) == 1
    assert parallel.part_count(build_mlp([16]).run_order(), 512) == 1          # measured: no gain
    with_bn = conv[:-1] + [BatchNormLayer(10), FCLayer(10, 10)]
    assert parallel.part_count(with_bn, 64) == 1
    assert parallel.part_count([MyReLU() if type(l) is ReLULayer else l for l in conv], 64) == 1
    cut_in(1)
    assert parallel.part_count(conv, 64) == 1


def test_backward_of_another_batch_than_the_cut_one_is_refused(cut_in, rng):
    cut_in(2)
    net = small_convnet()
    net.forward(rng.standard_normal((32, 64)).astype(np.float32))
    with pytest.raises(ValueError, match='δ holds 31 rows, the last forward pass 32'):
        net.backward(np.zeros((31, 10), np.float32))


def test_run_parts_finishes_every_part_and_raises_the_first_error():
    done = []

    def task(k):
        if k in (1, 2):
            raise KeyError(f'part {k}')
        done.append(k)
        return k * 10
    with pytest.raises(KeyError, match='part 1'):
        threads.run_parts(task, 4)
    assert sorted(done) == [0, 3]
    assert threads.run_parts(lambda k: k * 10, 5) == [0, 10, 20, 30, 40]


def test_layers_without_parameters_and_layers_added_later_keep_working(cut_in, rng):
    """A layer added after a cut forward makes the next forward build its parts anew."""
    cut_in(2)
    net = small_convnet()
    x = rng.standard_normal((32, 64)).astype(np.float32)
    first = net._parts, net.forward(x).shape
    net.add(ReLULayer())
    assert net.forward(x).shape == first[1] and net._parts is not first[0]
    net2 = Network([FCLayer(64, 10, rng=0)])
    assert net2.forward(x).shape == (32, 10) and net2._parts is None


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason='the parts run on one thread with one core')
def test_an_interrupt_in_the_callers_part_waits_for_the_other_parts():
    """A Ctrl-C in the caller's part leaves no part running into the next call (which would share its replica)."""
    finished = []

    def task(k):
        if k == 0:
            raise KeyboardInterrupt
        time.sleep(0.2)
        finished.append(k)
    with pytest.raises(KeyboardInterrupt):
        threads.run_parts(task, 2)
    assert finished == [1]


def test_gradients_written_in_place_and_parameters_assigned_between_the_passes(cut_in, rng, monkeypatch):
    """A gradients() that writes into self.grad_W (as a student may), and a W assigned after forward: each
    replica keeps its own gradient arrays and takes the parameters anew before backward, as the uncut net does."""
    from conv import ConvLayer
    plain = ConvLayer.gradients

    def in_place(self, delta):
        before = self.grad_W, self.grad_b
        plain(self, delta)
        before[0][...], before[1][...] = self.grad_W, self.grad_b
        self.grad_W, self.grad_b = before
    monkeypatch.setattr(ConvLayer, 'gradients', in_place)
    x = rng.standard_normal((32, 64))
    delta = rng.standard_normal((32, 10))
    results = []
    for parts in (2, 1):
        cut_in(parts)
        net = small_convnet('float64', seed=7)
        net.forward(x)
        for layer, name in net.parameters():
            setattr(layer, name, getattr(layer, name) * 2)
        results.append((net.backward(delta), [getattr(l, 'grad_' + n).copy() for l, n in net.parameters()]))
    (dx_cut, grads_cut), (dx, grads) = results
    assert np.allclose(dx_cut, dx, rtol=1e-12, atol=1e-12)
    for cut, whole in zip(grads_cut, grads):
        assert np.allclose(cut, whole, rtol=1e-12, atol=1e-12)


def test_bad_input_is_reported_with_the_shape_the_user_gave(cut_in):
    cut_in(2)
    with pytest.raises(ValueError, match=r'\(64, 785\)'):
        small_convnet().forward(np.zeros((64, 785), np.float32))


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason='the parts run on one thread with one core')
def test_a_ctrl_c_while_waiting_for_the_other_parts_is_raised_once_they_have_ended(monkeypatch):
    finished, join = [], threading.Thread.join

    def interrupted_join(self, *args, **kwargs):
        monkeypatch.setattr(threading.Thread, 'join', join)
        raise KeyboardInterrupt
    monkeypatch.setattr(threading.Thread, 'join', interrupted_join)

    def task(k):
        if k == 1:
            time.sleep(0.2)
            finished.append(k)
    with pytest.raises(KeyboardInterrupt):
        threads.run_parts(task, 2)
    assert finished == [1]


def test_no_cut_without_an_openblas_set_to_one_thread(monkeypatch):
    monkeypatch.setattr(threads, '_openblas', lambda: None)
    assert threads.blas_threads() is None and parallel.part_count(small_convnet().run_order(), 64) == 1
