"""The course's CNN case as its notebooks write it: load_mnist(flatten=False) in place of the TensorFlow
cells, ConvLayer(1, 8, 3, 1), MaxPoolingLayer(2, 0), ReshapeLayer((batch_size, 16, 7, 7), (batch_size, 784)),
`net.is_training = ...`, and solver.train / solver.test with a batch size that leaves a smaller last batch."""
import re

import numpy as np
import pytest

import cli

from criterion import SoftmaxCrossEntropyLossLayer
from dataloader import load_mnist
from layers import ConvLayer, FCLayer, MaxPoolingLayer, ReLULayer, ReshapeLayer
from network import Network
from optimizer import SGD
import solver


def test_load_mnist_gives_images_for_a_convnet(course_data):
    images_train, images_test = load_mnist('data', flatten=False)
    rows_train, rows_test = course_data
    assert images_train.inputs.shape == (60000, 1, 28, 28) and images_test.inputs.shape == (10000, 1, 28, 28)
    assert np.array_equal(images_test.inputs.reshape(10000, 784), rows_test.inputs)
    assert np.array_equal(images_train.targets, rows_train.targets)


@pytest.mark.slow
def test_the_course_cnn_cells_train_and_test(capsys):
    """One epoch over the 55,000 training images (1-2 minutes): only working layers reach the floors."""
    data_train, data_test = load_mnist('data', flatten=False)
    batch_size = 128   # 55,000 = 429 × 128 + 88 and 10,000 = 78 × 128 + 16: smaller last batches
    convNet = Network()
    convNet.add(ConvLayer(1, 8, 3, 1))
    convNet.add(ReLULayer())
    convNet.add(MaxPoolingLayer(2, 0))
    convNet.add(ConvLayer(8, 16, 3, 1))
    convNet.add(ReLULayer())
    convNet.add(MaxPoolingLayer(2, 0))
    convNet.add(ReshapeLayer((batch_size, 16, 7, 7), (batch_size, 784)))
    convNet.add(FCLayer(784, 128))
    convNet.add(ReLULayer())
    convNet.add(FCLayer(128, 10))
    criterion, sgd = SoftmaxCrossEntropyLossLayer(), SGD(0.05, 0.0)
    convNet.is_training = True
    convNet, val_loss, val_acc = solver.train(convNet, criterion, sgd, data_train, 1, batch_size, 100)
    convNet.is_training = False
    assert not convNet.training and not convNet.layers[0].training
    accuracy = solver.test(convNet, criterion, data_test, batch_size, 100)
    printed = capsys.readouterr().out
    assert re.search(r'The test accuracy is 0\.9\d{3}', printed) and accuracy >= 0.92, printed[-500:]
    assert len(val_acc) == 1 and val_acc[0] >= 0.93


def test_the_cli_builds_the_convnet_with_adam_unless_told_otherwise(monkeypatch, capsys):
    seen = []

    class Stop(Exception):
        pass

    def solver_of(cfg):
        seen.append(cfg)
        raise Stop
    monkeypatch.setattr(cli, 'Solver', solver_of)   # the Solver the command builds
    for argv, rule in ((['--convnet', '--epochs', '2', '--batch-size', '64', '--seed', '3'], 'adam'),
                       (['--convnet', '--optimizer', 'sgd', '--lr', '0.05'], 'sgd')):
        with pytest.raises(Stop):
            cli.main(argv)
        cfg = seen[-1]
        assert cfg['optimizer'] == rule and isinstance(cfg['criterion'], SoftmaxCrossEntropyLossLayer)
        assert [type(layer).__name__ for layer in cfg['model'].layers if hasattr(layer, 'W')] == [
            'ConvLayer', 'ConvLayer', 'FCLayer']
    assert seen[0]['max_epoch'] == 2 and seen[0]['batch_size'] == 64 and seen[0]['seed'] == 3
    with pytest.raises(SystemExit):
        cli.main(['--convnet', '--hidden', '10'])
    assert '--convnet and --hidden each choose the model' in capsys.readouterr().err
