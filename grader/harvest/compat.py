"""Keras 2 notebooks on Keras 3: the old names students wrote, adapted in the kernel before their code runs.

Executed inside the student's kernel from its source text (like ``probe.py``
and ``offline.py``), so it imports nothing from ``grader``. Installed after the
probe and the offline shims, before the first cell.

Why a layer here and not the ``tf-keras`` package: every model still is a
genuine Keras 3 object, so the probe recognises it by the identity of Keras 3's
classes with its tamper resistance unchanged, and a Keras 3 notebook runs
exactly as before (each adaptation is a name Keras 3 does not have, or an
argument it refuses). ``tf-keras`` would be a second class hierarchy for the
probe, would still lack ``predict_classes``, ``keras.utils.np_utils`` and
the old layer modules, and its ``Adam(lr=0.1)`` silently trains at 0.001.

What it adapts (each use is recorded in ``EVENTS`` as ``keras2`` with the old
and the new spelling, or ``keras2_ignored`` for what Keras 3 has no place for):

* imports: ``keras.preprocessing.image.ImageDataGenerator`` (Keras 3 keeps it
  in ``keras.src.legacy``), ``keras.utils.np_utils``, ``keras.layers.core`` and
  the other per-kind layer modules, ``keras.optimizers.adam_v2`` and kin,
  lower-case optimizer classes, ``keras.backend.set_image_dim_ordering``, a few
  ``tf.compat.v1`` session names at the top of ``tensorflow``, and import
  lines of ``tensorflow.python.keras`` (read as ``tensorflow.keras``);
* calls: ``fit_generator``/``evaluate_generator``/``predict_generator`` (run as
  fit/evaluate/predict with Keras 2's signatures, so a wrong argument still
  fails as it did), ``predict_classes``/``predict_proba``, ``lr=`` and
  ``decay=`` (Keras 2's inverse-time decay, as a schedule that a callback may still set), ``nb_epoch``,
  ``samples_per_epoch``, ``workers``/``use_multiprocessing``/``max_queue_size``,
  fractional step counts (Keras 2 ran the next whole step), ``Model(input=,
  output=)``, ``save_weights``/``load_weights`` and ``ModelCheckpoint`` with
  any file name (Keras 2 wrote HDF5 whatever the suffix);
* metric names: ``history.history['acc']`` and ``monitor='val_acc'`` find
  ``accuracy``/``val_accuracy`` (Keras 2.2 called them ``acc``), and back;
* ``keras.applications.*(weights='imagenet')``: the sandbox has no network, so
  the weights come from a local copy when one is there, otherwise the same
  architecture keeps its initial weights (the checks read what was built).
"""

import functools
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import math
import os
import re
import sys
import types
import weakref

EVENTS = []
WEIGHTS_ORIGIN = "https://storage.googleapis.com/tensorflow/keras-applications/"
_DROPPED_ARGS = ("workers", "use_multiprocessing", "max_queue_size")
_STEP_ARGS = ("steps_per_epoch", "validation_steps", "steps")
_OPTIMIZERS = ("SGD", "RMSprop", "Adagrad", "Adadelta", "Adam", "Adamax", "Nadam")
_LAYER_MODULES = ("core", "convolutional", "pooling", "normalization", "advanced_activations", "merge", "recurrent",
                  "embeddings", "wrappers", "noise", "local", "convolutional_recurrent", "normalization_v2",
                  "cudnn_recurrent", "dense_attention")
_TENSORBOARD_KERAS2 = ("batch_size", "write_grads", "embeddings_layer_names", "embeddings_data")
_TF_PYTHON_KERAS = re.compile(r"^(\s*(?:from|import)\s+)tensorflow\.python\.keras\b")


def _note(key, **params):
    event = {"key": key, "params": params}
    if event not in EVENTS:
        EVENTS.append(event)


def _adapted(old, new):
    _note("keras2", old=old, new=new)


def _ignored(old):
    _note("keras2_ignored", old=old)


class _NoWeights(str):
    """The path ``get_file`` returns for ImageNet weights that are not here: ``load_weights`` skips it."""


# --------------------------------------------------------------------------- modules


class _Keras2Modules(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Keras 2's module paths that Keras 3 dropped, made on first import from Keras 3's own objects.

    Appended to ``sys.meta_path``: consulted only for names no real module has.
    """

    def __init__(self, table):
        self.table = table  # module name -> (function returning its names, what the note calls the new place)

    def find_spec(self, fullname, path=None, target=None):
        if fullname in self.table:
            return importlib.machinery.ModuleSpec(fullname, self)
        return None

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        names, new = self.table[module.__name__]
        module.__dict__.update(names())
        _adapted(module.__name__, new)


def _public(module):
    return {name: value for name, value in vars(module).items() if not name.startswith("_")}


def _module_table(keras):
    layers = lambda: _public(keras.layers)  # noqa: E731
    table = {f"keras.layers.{name}": (layers, "keras.layers") for name in _LAYER_MODULES}
    table["keras.utils.np_utils"] = (lambda: {"to_categorical": keras.utils.to_categorical,
                                              "normalize": keras.utils.normalize}, "keras.utils")
    table["keras.utils.vis_utils"] = (lambda: {"plot_model": keras.utils.plot_model,
                                               "model_to_dot": keras.utils.model_to_dot}, "keras.utils")
    table["keras.utils.data_utils"] = (lambda: {"Sequence": keras.utils.Sequence, "get_file": keras.utils.get_file},
                                       "keras.utils")
    table["keras.utils.generic_utils"] = (lambda: {
        "get_custom_objects": keras.utils.get_custom_objects, "CustomObjectScope": keras.utils.CustomObjectScope,
        "custom_object_scope": keras.utils.custom_object_scope, "Progbar": keras.utils.Progbar,
        "serialize_keras_object": keras.utils.serialize_keras_object,
        "deserialize_keras_object": keras.utils.deserialize_keras_object}, "keras.utils")
    for name in _OPTIMIZERS:
        table[f"keras.optimizers.{name.lower()}_v2"] = (lambda name=name: {name: getattr(keras.optimizers, name)},
                                                        "keras.optimizers")
    table["keras.optimizers.gradient_descent_v2"] = (lambda: {"SGD": keras.optimizers.SGD}, "keras.optimizers")
    table["keras.backend.tensorflow_backend"] = (lambda: dict(_backend_extras(keras), _get_available_gpus=lambda: []),
                                                 "keras.backend")
    table["keras.engine"] = (lambda: {"Layer": keras.Layer, "Model": keras.Model, "Input": keras.Input,
                                      "InputLayer": keras.layers.InputLayer}, "keras")
    table["keras.engine.topology"] = table["keras.engine"]
    table["keras.engine.training"] = (lambda: {"Model": keras.Model}, "keras")
    return table


def _extend(module, names, where):
    """Serve ``names`` (name -> (value, new spelling)) from ``module`` through a module ``__getattr__``.

    Resolved at first use, so the note says what the notebook really used;
    any ``__getattr__`` the module already had still answers the rest.
    """
    if module is None:
        return
    before = module.__dict__.get("__getattr__")

    def __getattr__(name):
        if name in names:
            value, new = names[name]
            if isinstance(value, _Submodule):  # imported (and noted) by _Keras2Modules
                return importlib.import_module(value.name)
            if new is not None:
                _adapted(f"{where}.{name}", new)
            return value
        if before is not None:
            return before(name)
        raise AttributeError(f"module {module.__name__!r} has no attribute {name!r}")

    module.__getattr__ = __getattr__


class _Submodule:
    """A module of the Keras 2 table, served as an attribute of its parent (``keras.utils.np_utils.to_categorical``
    without an import: Keras 2's packages imported their submodules)."""

    def __init__(self, name):
        self.name = name


def _install_modules(keras):
    table = _module_table(keras)
    sys.meta_path.append(_Keras2Modules(table))
    parents = {}
    for name in table:
        parent, _, child = name.rpartition(".")
        parents.setdefault(parent, {})[child] = (_Submodule(name), None)
    for parent, children in parents.items():
        module = sys.modules.get(parent)
        if module is not None:
            _extend(module, children, parent)
    from keras.src.legacy.preprocessing import image as legacy_image

    image = {name: (getattr(legacy_image, name), f"keras.src.legacy.preprocessing.image.{name}")
             for name in ("ImageDataGenerator", "NumpyArrayIterator", "DirectoryIterator", "DataFrameIterator",
                          "Iterator", "apply_affine_transform", "random_rotation", "random_shift", "random_zoom",
                          "random_shear", "random_brightness", "random_channel_shift")}
    optimizers = {name.lower(): (getattr(keras.optimizers, name), f"keras.optimizers.{name}") for name in _OPTIMIZERS}
    moved = {"keras.layers": {"Sequential": (keras.Sequential, "keras.models.Sequential"),
                              "Model": (keras.Model, "keras.models.Model")},
             "keras.models": {"Input": (keras.Input, "keras.layers.Input")}}
    tf_keras = sys.modules.get("keras._tf_keras.keras")
    for root in (keras, tf_keras):
        if root is None:
            continue
        _extend(getattr(root, "preprocessing").image, image, "keras.preprocessing.image")
        _extend(root.optimizers, optimizers, "keras.optimizers")
        _extend(root.backend, {name: (value, new) for name, (value, new) in _backend_names(keras).items()},
                "keras.backend")
        for where, names in moved.items():
            _extend(getattr(root, where.split(".")[1]), names, where)


# --------------------------------------------------------------------------- keras.backend and tf.compat.v1


def _backend_extras(keras):
    return {name: value for name, (value, _) in _backend_names(keras).items()}


def _backend_names(keras):
    import numpy as np

    orderings = {"tf": "channels_last", "th": "channels_first"}

    def set_image_dim_ordering(ordering):
        keras.backend.set_image_data_format(orderings.get(ordering, ordering))

    def image_dim_ordering():
        return "th" if keras.backend.image_data_format() == "channels_first" else "tf"

    def set_session(session):
        _ignored("keras.backend.set_session")

    def get_session():
        import tensorflow as tf

        return tf.compat.v1.Session()

    def get_value(x):
        return np.asarray(keras.ops.convert_to_numpy(x))

    def set_value(x, value):
        x.assign(value)

    return {"set_image_dim_ordering": (set_image_dim_ordering, "keras.backend.set_image_data_format"),
            "image_dim_ordering": (image_dim_ordering, "keras.backend.image_data_format"),
            "set_session": (set_session, None), "get_session": (get_session, "tf.compat.v1.Session"),
            "eval": (get_value, "keras.ops.convert_to_numpy"), "get_value": (get_value, "keras.ops.convert_to_numpy"),
            "set_value": (set_value, "Variable.assign")}


def _install_tensorflow():
    tf = sys.modules.get("tensorflow")
    if tf is None:
        return
    v1 = tf.compat.v1
    names = {name: (getattr(v1, name), f"tf.compat.v1.{name}")
             for name in ("Session", "ConfigProto", "GPUOptions", "InteractiveSession", "get_default_graph",
                          "reset_default_graph", "global_variables_initializer", "placeholder")
             if not hasattr(tf, name) and hasattr(v1, name)}
    if not hasattr(tf, "set_random_seed"):
        names["set_random_seed"] = (tf.random.set_seed, "tf.random.set_seed")
    _extend(tf, names, "tf")


def _install_import_rewrite():
    """``tensorflow.python.keras`` is tf.keras' private home in TF 2.x: read such an import line as ``tensorflow.keras``."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is None:
        return

    def rewrite(lines):
        out = []
        for line in lines:
            new = _TF_PYTHON_KERAS.sub(r"\1tensorflow.keras", line)
            if new != line:
                _adapted("tensorflow.python.keras", "tensorflow.keras")
            out.append(new)
        return out

    shell.input_transformers_post.append(rewrite)


# --------------------------------------------------------------------------- model methods


def _keras2_kwargs(kwargs):
    """Keras 1 and 2 keyword arguments of fit/evaluate/predict, as Keras 3 spells them (in place)."""
    for old, new in (("nb_epoch", "epochs"), ("samples_per_epoch", "steps_per_epoch"),
                     ("nb_val_samples", "validation_steps")):
        if old in kwargs:
            value = kwargs.pop(old)
            if new not in kwargs:  # Keras 2 took samples_per_epoch as the number of steps, and said so
                kwargs[new] = value
            _adapted(old, new)
    for name in _DROPPED_ARGS + ("nb_worker", "pickle_safe"):
        if name in kwargs:
            kwargs.pop(name)
            _ignored(name)
    for name in _STEP_ARGS:
        value = kwargs.get(name)
        if isinstance(value, float) and math.isfinite(value) and value > 0:
            kwargs[name] = math.ceil(value)  # Keras 2 looped while steps done < steps asked
            _adapted(f"{name}={value!r}", f"{name}={kwargs[name]}")
    return kwargs


def _keras2_method(method):
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        return method(self, *args, **_keras2_kwargs(kwargs))

    return wrapper


def fit_generator(self, generator, steps_per_epoch=None, epochs=1, verbose=1, callbacks=None, validation_data=None,
                  validation_steps=None, validation_freq=1, class_weight=None, max_queue_size=10, workers=1,
                  use_multiprocessing=False, shuffle=True, initial_epoch=0, **keras1):
    """Keras 2's ``fit_generator``: its signature (so a wrong argument still fails), run as ``fit``."""
    _adapted("fit_generator", "fit")
    extra = _keras1_generator_args(keras1, "fit_generator")
    if workers != 1 or use_multiprocessing or max_queue_size != 10:
        _ignored("workers")
    return self.fit(generator, **_keras2_kwargs(dict(
        steps_per_epoch=steps_per_epoch, epochs=epochs, verbose=verbose, callbacks=callbacks,
        validation_data=validation_data, validation_steps=validation_steps, validation_freq=validation_freq,
        class_weight=class_weight, shuffle=shuffle, initial_epoch=initial_epoch, **extra)))


def evaluate_generator(self, generator, steps=None, callbacks=None, max_queue_size=10, workers=1,
                       use_multiprocessing=False, verbose=0):
    return _one_pass(self.evaluate, "evaluate_generator", generator, steps, callbacks, verbose,
                     workers != 1 or use_multiprocessing or max_queue_size != 10)


def predict_generator(self, generator, steps=None, callbacks=None, max_queue_size=10, workers=1,
                      use_multiprocessing=False, verbose=0):
    return _one_pass(self.predict, "predict_generator", generator, steps, callbacks, verbose,
                     workers != 1 or use_multiprocessing or max_queue_size != 10)


def _one_pass(method, old, generator, steps, callbacks, verbose, parallel):
    _adapted(old, method.__name__)
    if parallel:
        _ignored("workers")
    return method(generator, **_keras2_kwargs(dict(steps=steps, callbacks=callbacks, verbose=verbose)))


def _keras1_generator_args(keras1, method):
    """Keras 1's names that Keras 2's generator methods still took; any other name fails as it did there."""
    known = {"nb_epoch", "samples_per_epoch", "nb_val_samples", "nb_worker", "pickle_safe"}
    unknown = sorted(set(keras1) - known)
    if unknown:
        raise TypeError(f"{method}() got an unexpected keyword argument {unknown[0]!r}")
    return dict(keras1)


def predict_classes(self, x, batch_size=32, verbose=0):
    """Keras 2's Sequential.predict_classes: the arg-max class, or 0/1 for a single sigmoid output."""
    import numpy as np

    _adapted("predict_classes", "predict + argmax")
    proba = np.asarray(self.predict(x, batch_size=batch_size, verbose=verbose))
    return proba.argmax(axis=-1) if proba.shape[-1] > 1 else (proba > 0.5).astype("int32")


def predict_proba(self, x, batch_size=32, verbose=0):
    _adapted("predict_proba", "predict")
    return self.predict(x, batch_size=batch_size, verbose=verbose)


def _weights_methods(keras, save, load):
    """save_weights/load_weights for any file name: Keras 2 wrote HDF5 whatever the suffix, Keras 3 wants ``.weights.h5``."""
    from keras.src.legacy.saving import legacy_h5_format

    own_suffixes = (".weights.h5", ".weights.json", ".keras", ".h5", ".hdf5")

    @functools.wraps(save)
    def save_weights(self, filepath, overwrite=True, *args, **kwargs):
        if str(filepath).endswith(".weights.h5") or kwargs.get("max_shard_size"):
            return save(self, filepath, overwrite, *args, **kwargs)
        import h5py

        for name in ("save_format", "options"):
            kwargs.pop(name, None)
        _adapted(f"save_weights('{os.path.basename(str(filepath))}')", "that file name, in HDF5")
        with h5py.File(str(filepath), "w") as f:
            legacy_h5_format.save_weights_to_hdf5_group(f, self)

    @functools.wraps(load)
    def load_weights(self, filepath, *args, **kwargs):
        if isinstance(filepath, _NoWeights):
            return None
        path = str(filepath)
        if not path.endswith(own_suffixes) and os.path.isfile(path):
            import h5py

            if h5py.is_hdf5(path):
                _adapted(f"load_weights('{os.path.basename(path)}')", "that file name, in HDF5")
                by_name, skip = kwargs.get("by_name", False), kwargs.get("skip_mismatch", False)
                with h5py.File(path, "r") as f:
                    if by_name:
                        return legacy_h5_format.load_weights_from_hdf5_group_by_name(f, self, skip_mismatch=skip)
                    return legacy_h5_format.load_weights_from_hdf5_group(f, self, skip_mismatch=skip)
        return load(self, filepath, *args, **kwargs)

    return save_weights, load_weights


def _install_model(keras):
    from keras.src.models.functional import Functional

    model = keras.Model
    for name in ("fit", "evaluate", "predict"):
        setattr(model, name, _keras2_method(getattr(model, name)))
    for function in (fit_generator, evaluate_generator, predict_generator, predict_classes, predict_proba):
        if not hasattr(model, function.__name__):
            setattr(model, function.__name__, function)
    save, load = _weights_methods(keras, model.save_weights, model.load_weights)
    model.save_weights, model.load_weights = save, load

    # One optimizer object for several models: Keras 2 kept slots per variable, Keras 3 builds it for one model's.
    compile_ = model.compile

    @functools.wraps(compile_)
    def compile(self, *args, **kwargs):
        optimizer = kwargs.get("optimizer", args[0] if args else None)
        if isinstance(optimizer, keras.optimizers.Optimizer) and _built_for_another(optimizer, self):
            fresh = type(optimizer).from_config(optimizer.get_config())
            _adapted("one optimizer for several models", "a copy of it per model")
            if "optimizer" in kwargs:
                kwargs["optimizer"] = fresh
            else:
                args = (fresh, *args[1:])
        return compile_(self, *args, **kwargs)

    model.compile = compile

    # Sequential.input/.output: Keras 2 had them once the model knew its input; Keras 3 only inputs/outputs.
    for name in ("input", "output"):
        genuine_property = getattr(keras.Sequential, name)

        def get(self, _genuine=genuine_property.fget, _name=name):
            try:
                return _genuine(self)
            except AttributeError:
                functional = self.__dict__.get("_functional")
                if functional is None:
                    raise
                _adapted(f"Sequential.{_name}", f"Sequential.{_name}s")
                return getattr(functional, _name)

        setattr(keras.Sequential, name, property(get))

    # Layer names with "/": tf.keras 2 took them (as name scopes), Keras 3 refuses them.
    from keras.src.ops.operation import Operation

    operation_init = Operation.__dict__["__init__"]

    @functools.wraps(operation_init)
    def operation_init_any_name(self, name=None, *args, **kwargs):
        if isinstance(name, str) and "/" in name:
            _adapted("'/' in a layer's name", "'_'")
            name = name.replace("/", "_")
        return operation_init(self, name, *args, **kwargs)

    Operation.__init__ = operation_init_any_name

    # x.get_shape(): Keras 2's tensors were TensorFlow's; Keras 3's symbolic ones have .shape only.
    if not hasattr(keras.KerasTensor, "get_shape"):
        def get_shape(self):
            import tensorflow as tf

            _adapted("tensor.get_shape()", "tensor.shape")
            return tf.TensorShape(self.shape)

        keras.KerasTensor.get_shape = get_shape

    # Model(input=..., output=...): Keras 2.0 took the singular names. __new__ picks the class, __init__ builds.
    genuine_new = model.__dict__["__new__"]

    def __new__(cls, *args, **kwargs):
        return genuine_new(cls, *args, **_inputs_outputs(kwargs))

    model.__new__ = staticmethod(functools.wraps(genuine_new)(__new__))
    for cls in (model, Functional):
        cls.__init__ = _singular_names(cls.__dict__["__init__"])


def _built_for_another(optimizer, model):
    """Whether the optimizer already holds state for variables other than this model's."""
    if not getattr(optimizer, "built", False):
        return False
    theirs = {id(v) for v in getattr(optimizer, "_trainable_variables", ())}
    ours = {id(v) for v in model.trainable_variables} if getattr(model, "built", False) else set()
    return theirs != ours


def _singular_names(init):
    """``__init__`` taking Keras 2.0's ``input=``/``output=``; Keras reads its signature, so it keeps the genuine one."""
    import inspect

    @functools.wraps(init)
    def __init__(self, *args, **kwargs):
        return init(self, *args, **_inputs_outputs(kwargs))

    __init__.__signature__ = inspect.signature(init)
    return __init__


def _inputs_outputs(kwargs):
    for old in ("input", "output"):
        if old in kwargs and old + "s" not in kwargs:
            kwargs[old + "s"] = kwargs.pop(old)
            _adapted(f"Model({old}=...)", f"Model({old}s=...)")
    return kwargs


# --------------------------------------------------------------------------- optimizers


def _install_optimizers(keras):
    from keras.src.optimizers.base_optimizer import BaseOptimizer

    genuine = BaseOptimizer.__dict__["__init__"]
    rate = BaseOptimizer.__dict__["learning_rate"]
    decays = weakref.WeakKeyDictionary()  # optimizer -> Keras 2's decay, for those built with decay=
    inverse_time = keras.optimizers.schedules.InverseTimeDecay

    @functools.wraps(genuine)
    def __init__(self, learning_rate=None, *args, **kwargs):
        if "lr" in kwargs:
            learning_rate = kwargs.pop("lr")
            _adapted("lr=", "learning_rate=")
        decay = kwargs.pop("decay", None)
        if decay:  # Keras 2: lr / (1 + decay * iterations)
            if isinstance(learning_rate, (int, float)):
                learning_rate = inverse_time(learning_rate, 1, decay)
                _adapted("decay=", "InverseTimeDecay")
            else:
                decay = None
                _ignored("decay=")
        genuine(self, learning_rate, *args, **kwargs)
        if decay:
            decays[self] = decay

    def set_rate(self, value):
        """Keras 2's decay applied on top of whatever rate a callback sets (``LearningRateScheduler``):
        setting a number restarts the inverse-time schedule from it, where Keras 3 refuses to set a schedule."""
        decay = decays.get(self)
        if decay and isinstance(self._learning_rate, inverse_time) and not callable(value):
            self._learning_rate = inverse_time(float(value), 1, decay)
        else:
            rate.fset(self, value)

    BaseOptimizer.__init__ = __init__
    BaseOptimizer.learning_rate = property(rate.fget, set_rate, rate.fdel, rate.__doc__)
    if "lr" not in BaseOptimizer.__dict__:  # Keras 2's optimizer.lr, read and set by students' callbacks
        def get(self):
            _adapted("optimizer.lr", "optimizer.learning_rate")
            return self.learning_rate

        def set_(self, value):
            _adapted("optimizer.lr", "optimizer.learning_rate")
            self.learning_rate = value

        BaseOptimizer.lr = property(get, set_)


# --------------------------------------------------------------------------- metric names and callbacks


class _MetricNames(dict):
    """Logs and history that also answer to the other spelling of accuracy (``acc`` <-> ``accuracy``).

    Only lookups fall back; iteration, ``len`` and printing show the real keys.
    """

    def _other(self, key):
        if isinstance(key, str):
            for short, long in (("acc", "accuracy"),):
                for prefix in ("", "val_"):
                    if key == prefix + short:
                        return prefix + long
                    if key == prefix + long:
                        return prefix + short
        return None

    def __missing__(self, key):
        other = self._other(key)
        if other is not None and dict.__contains__(self, other):
            _adapted(f"'{key}'", f"'{other}'")
            return dict.__getitem__(self, other)
        raise KeyError(key)

    def get(self, key, default=None):
        try:
            return self[key]
        except KeyError:
            return default

    def __contains__(self, key):
        other = self._other(key)
        return dict.__contains__(self, key) or (other is not None and dict.__contains__(self, other))


def _install_callbacks(keras):
    from keras.src import ops
    from keras.src.callbacks.history import History
    from keras.src.callbacks.monitor_callback import MonitorCallback
    from keras.src.utils import python_utils

    logs = python_utils.pythonify_logs  # what every callback is handed (CallbackList calls it by module)

    @functools.wraps(logs)
    def pythonify_logs(*args, **kwargs):
        return _MetricNames(logs(*args, **kwargs))

    python_utils.pythonify_logs = pythonify_logs

    history_init = History.__dict__["__init__"]

    def __init__(self, *args, **kwargs):
        history_init(self, *args, **kwargs)
        self.history = _MetricNames(self.history)

    History.__init__ = functools.wraps(history_init)(__init__)

    direction = MonitorCallback.__dict__["_set_monitor_op"]

    @functools.wraps(direction)
    def _set_monitor_op(self):
        try:
            return direction(self)
        except ValueError:  # mode="auto" and Keras 3 knows no metric of that name ("val_acc" for "accuracy")
            if getattr(self, "mode", None) != "auto" or not isinstance(getattr(self, "monitor", None), str):
                raise
        _adapted(f"monitor='{self.monitor}'", "Keras 2's mode='auto' (max if the name holds 'acc')")
        self.monitor_op = ops.greater if "acc" in self.monitor else ops.less
        if self.monitor_op == ops.less:
            self.min_delta *= -1

    MonitorCallback._set_monitor_op = _set_monitor_op

    board = keras.callbacks.TensorBoard
    board_init = board.__dict__["__init__"]

    writes = importlib.util.find_spec("tensorboard") is not None

    @functools.wraps(board_init)
    def board_init_keras2(self, *args, **kwargs):
        for name in _TENSORBOARD_KERAS2:
            if name in kwargs:
                kwargs.pop(name)
                _ignored(f"TensorBoard({name}=...)")
        if not writes:
            _note("tensorboard_off")
        return board_init(self, *args, **kwargs)

    board.__init__ = board_init_keras2
    if not writes:  # its logs need the tensorboard package, which a course's environment had: the callback stays,
        for name in dir(keras.callbacks.Callback):  # and records nothing (the grader runs no TensorBoard server)
            if name.startswith("on_") and name in vars(board):
                setattr(board, name, getattr(keras.callbacks.Callback, name))

    checkpoint = keras.callbacks.ModelCheckpoint
    checkpoint_init = checkpoint.__dict__["__init__"]

    @functools.wraps(checkpoint_init)
    def checkpoint_init_any_name(self, filepath, *args, **kwargs):
        period = kwargs.pop("period", None)
        if period is not None:
            _ignored("ModelCheckpoint(period=...)")
        path = str(filepath)
        weights_only = kwargs.get("save_weights_only", len(args) > 3 and args[3])
        wanted = ".weights.h5" if weights_only else (".keras", ".h5")
        if path.endswith(wanted):
            return checkpoint_init(self, filepath, *args, **kwargs)
        # Keras 2 wrote HDF5 under any name; Keras 3 checks the suffix here, then saves through
        # save_weights/save, which take any name above (save) or by their own legacy path (.hdf5).
        _adapted(f"ModelCheckpoint('{os.path.basename(path)}')", "that file name, in HDF5")
        checkpoint_init(self, path + (".weights.h5" if weights_only else ".h5"), *args, **kwargs)
        self.filepath = path

    checkpoint.__init__ = checkpoint_init_any_name


# --------------------------------------------------------------------------- pretrained weights


def _install_applications(keras, cache_dir):
    from keras.src.utils import file_utils

    genuine = file_utils.get_file

    @functools.wraps(genuine)
    def get_file(fname=None, origin=None, *args, **kwargs):
        if not str(origin or "").startswith(WEIGHTS_ORIGIN):
            return genuine(fname, origin, *args, **kwargs)
        name = os.path.basename(str(fname or origin))
        local = os.path.join(cache_dir, name) if cache_dir else None
        if local and os.path.isfile(local):
            _note("pretrained_local", file=name)
            return local
        _note("pretrained_untrained", file=name)
        return _NoWeights(name)

    file_utils.get_file = get_file


def install(cache_dir=None):
    """Install every adaptation. Needs Keras imported already (the probe's ``install`` does that)."""
    import keras

    for part in (lambda: _install_modules(keras), _install_tensorflow, _install_import_rewrite,
                 lambda: _install_model(keras), lambda: _install_optimizers(keras),
                 lambda: _install_callbacks(keras), lambda: _install_applications(keras, cache_dir)):
        part()
