"""A small pre-activation ResNet for CIFAR-10: the helper module the Day 100 homework imports.

Students call it as the course's notebook does::

    from resnet_builder import resnet
    model = resnet(input_shape=(32, 32, 3))            # depth=29, num_classes=10

Our own code for the course's interface: ``resnet(input_shape, depth=29,
num_classes=10)`` builds a ResNet v2 of bottleneck units, ``(depth - 2) / 9``
of them per stage, on three stages whose feature maps are 32x32x64,
16x16x128 and 8x8x256 (after a 3x3 convolution of 16 filters), then batch
normalisation, ReLU, 8x8 average pooling and a softmax classifier. Every
convolution is He-initialised with an L2 penalty of 1e-4. ``resnet_layer`` is
the convolution/normalisation/activation unit it is made of, exported because
the course's notebooks may call it too. Depth 29 has 849,002 parameters.
Written for the grader's Keras 3; only public Keras names.
"""

from keras import Input, Model
from keras.layers import Activation, AveragePooling2D, BatchNormalization, Conv2D, Dense, Flatten, add
from keras.regularizers import l2

__all__ = ["resnet", "resnet_layer"]


def resnet_layer(inputs, num_filters=16, kernel_size=3, strides=1, activation="relu", batch_normalization=True,
                 conv_first=True):
    """Conv2D then normalisation and activation (``conv_first``), or normalisation and activation then Conv2D."""
    conv = Conv2D(num_filters, kernel_size=kernel_size, strides=strides, padding="same",
                  kernel_initializer="he_normal", kernel_regularizer=l2(1e-4))
    x = inputs
    if conv_first:
        x = conv(x)
    if batch_normalization:
        x = BatchNormalization()(x)
    if activation is not None:
        x = Activation(activation)(x)
    if not conv_first:
        x = conv(x)
    return x


def resnet(input_shape, depth=29, num_classes=10):
    """A ResNet v2 of ``depth`` layers (9n + 2) for ``num_classes`` classes, as a Keras Model."""
    if (depth - 2) % 9 != 0:
        raise ValueError(f"depth should be 9n + 2 (e.g. 29, 38, 56), not {depth}")
    units = (depth - 2) // 9
    width = 16
    inputs = Input(shape=input_shape)
    x = resnet_layer(inputs, num_filters=width, conv_first=True)
    for stage in range(3):
        out = width * (4 if stage == 0 else 2)
        for unit in range(units):
            first = unit == 0
            strides = 2 if first and stage > 0 else 1
            plain_entry = first and stage == 0  # the first unit follows the stem's own BN-ReLU
            y = resnet_layer(x, width, kernel_size=1, strides=strides, activation=None if plain_entry else "relu",
                             batch_normalization=not plain_entry, conv_first=False)
            y = resnet_layer(y, width, conv_first=False)
            y = resnet_layer(y, out, kernel_size=1, conv_first=False)
            if first:  # project the shortcut to the unit's width (and stride)
                x = resnet_layer(x, out, kernel_size=1, strides=strides, activation=None,
                                 batch_normalization=False)
            x = add([x, y])
        width = out
    x = BatchNormalization()(x)
    x = Activation("relu")(x)
    x = AveragePooling2D(pool_size=8)(x)
    x = Flatten()(x)
    outputs = Dense(num_classes, activation="softmax", kernel_initializer="he_normal")(x)
    return Model(inputs=inputs, outputs=outputs)
