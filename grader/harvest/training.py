"""Training facts: how every model was trained, measured inside the student's kernel.

Executed from its source text in a module of its own
(``sys.modules["_keras_grader_training"]``), next to the probe, whose helpers and
model registry it uses; it imports nothing from ``grader``. The runner calls
``install()`` after the offline shims and the Keras 2 layer, so its wrappers are
the outermost: they see each call as the student wrote it, before anything
adapts or budgets it. The probe adds ``facts()`` to its harvest document.

What is recorded, per call of ``fit``, ``evaluate``, ``predict``, the
``*_on_batch`` methods and Keras 2's ``*_generator`` methods (a call made by
another, such as fit's validation, belongs to the outer one):

* the model (the probe's uid), the method, the cell, the arguments as passed
  (Keras 1 names read as Keras 2 ones), what they ask for (epochs × steps) and
  what ran (counted by a callback of ours added to the call's list);
* the data source's kind: arrays, a Python generator (its function's name), a
  ``Sequence``, an ``ImageDataGenerator`` flow (the generator's uid, the flow's
  batch size), a ``tf.data.Dataset``; likewise for ``validation_data``;
* the shapes and dtypes of the first batch the model received (and the value
  range of the inputs when the step ran eagerly), read in Keras' own
  ``train_step``/``test_step``/``predict_step``;
* the callbacks (class, and the settings a rubric asks about), the optimizer
  and its learning rate at the time of the call, the generators whose flows
  produced batches during the call, and the exception that ended it, if any.

Also every ``ImageDataGenerator`` constructed, with its settings as they are
when the harvest is taken. Everything is classified by the identity of classes
captured at install, before any student code: a student's own class called
``ImageDataGenerator`` is a "generator" or "other" source, never a flow.
"""

import functools
import inspect
import math
import numbers
import sys
import types
import weakref

PROBE_MODULE = "_keras_grader_probe"
MAX_TRAININGS = 100
MAX_GENERATORS = 50
MAX_ITEMS = 20  # callbacks of a call, tensors of a batch
KINDS = {"fit": "train", "fit_generator": "train", "train_on_batch": "train",
         "evaluate": "test", "evaluate_generator": "test", "test_on_batch": "test",
         "predict": "predict", "predict_generator": "predict", "predict_on_batch": "predict"}
# Keras 2's positional parameters of the generator methods (the Keras 2 layer gives them these signatures).
KERAS2_POSITIONS = {
    "fit_generator": ("x", "steps_per_epoch", "epochs", "verbose", "callbacks", "validation_data",
                      "validation_steps", "validation_freq", "class_weight", "max_queue_size", "workers",
                      "use_multiprocessing", "shuffle", "initial_epoch"),
    "evaluate_generator": ("x", "steps", "callbacks", "max_queue_size", "workers", "use_multiprocessing", "verbose"),
    "predict_generator": ("x", "steps", "callbacks", "max_queue_size", "workers", "use_multiprocessing", "verbose"),
}
KERAS1_NAMES = {"nb_epoch": "epochs", "samples_per_epoch": "steps_per_epoch", "nb_val_samples": "validation_steps",
                "generator": "x"}
ARGS = ("epochs", "batch_size", "steps_per_epoch", "steps", "validation_steps", "validation_split",
        "validation_batch_size", "validation_freq", "shuffle", "initial_epoch", "verbose")
PRESENT = ("validation_data", "class_weight", "sample_weight")  # recorded as present or not
GENERATOR_SETTINGS = ("rotation_range", "width_shift_range", "height_shift_range", "shear_range", "zoom_range",
                      "channel_shift_range", "brightness_range", "horizontal_flip", "vertical_flip", "fill_mode",
                      "cval", "rescale", "featurewise_center", "samplewise_center", "featurewise_std_normalization",
                      "samplewise_std_normalization", "zca_whitening", "data_format", "interpolation_order")
CALLBACK_SETTINGS = ("monitor", "mode", "patience", "min_delta", "baseline", "restore_best_weights", "start_from_epoch",
                     "factor", "min_lr", "cooldown", "filepath", "save_best_only", "save_weights_only", "save_freq",
                     "schedule", "log_dir", "verbose")
FLOWS = {"NumpyArrayIterator": "flow", "DirectoryIterator": "flow_from_directory",
         "DataFrameIterator": "flow_from_dataframe"}

_S = None
_ARRAYS = ()  # NumPy's and TensorFlow's array classes, captured at install
_vars = None  # the probe's: an object's instance dict, read without running its methods


class _State:
    def __init__(self, probe):
        self.probe = probe
        self.trainings = []
        self.dropped = 0
        self.generators = []  # [uid, cell, weakref, last document]
        self.dropped_generators = 0
        self.active = None  # the record of the call in progress (process-wide: tf.data reads in its own threads)


def install():
    """Capture the genuine classes and wrap the training methods and the generator's constructor. Idempotent."""
    global _S
    probe = sys.modules.get(PROBE_MODULE)
    if _S is not None or getattr(probe, "_S", None) is None:  # installed already, or no installed probe to serve
        return None
    state = _State(probe)
    try:
        _install(state)
    except Exception:  # a Keras without these classes: no training facts, the run goes on
        return None
    _S = state
    return None


def facts():
    """``{"trainings", "image_data_generators", "dropped_trainings"}`` for the harvest document."""
    state = _S
    if state is None:
        return {"trainings": [], "image_data_generators": [], "dropped_trainings": 0}
    generators = []
    for entry in state.generators:
        obj = entry[2]()
        if obj is not None:
            entry[3] = state.probe._attempt(None, "generator", _generator_doc, state, entry, obj) or entry[3]
        if entry[3] is not None:
            generators.append(entry[3])
    return {"trainings": list(state.trainings), "image_data_generators": generators,
            "dropped_trainings": state.dropped}


# --------------------------------------------------------------------------- install


def _install(state):
    global _ARRAYS, _vars
    import keras
    import numpy as np
    from keras.src.legacy.preprocessing import image as legacy

    probe = state.probe
    _vars = probe._vars
    state.keras = keras
    state.Model = probe._S.Model
    state.IDG = legacy.ImageDataGenerator
    state.flows = {getattr(legacy, name): kind for name, kind in FLOWS.items()}
    state.PyDataset = keras.utils.PyDataset
    state.Callback = keras.callbacks.Callback
    state.callbacks = probe._public_classes(keras.callbacks, keras.callbacks.Callback)
    tf = sys.modules.get("tensorflow")
    state.Dataset = tf.data.Dataset if tf is not None else None
    _ARRAYS = (np.ndarray, np.generic) + ((tf.Tensor, tf.Variable) if tf is not None else ())
    state.positions = {}
    model = keras.Model
    for name in KINDS:
        method = getattr(model, name, None)
        if method is None or getattr(method, "__keras_grader_recorded__", False):
            continue
        state.positions[name] = KERAS2_POSITIONS.get(name) or _positions(method)
        setattr(model, name, _recorded(state, method, name))
    _hook_steps(state, model)
    _hook_generators(state, legacy)


def _positions(method):
    """Names of the positional parameters after ``self``, from the genuine signature."""
    params = list(inspect.signature(method).parameters.values())[1:]
    return tuple(p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD))


def _hook_steps(state, model):
    """The first batch a call's model received, read where Keras hands it to the step."""
    for step, kind in (("train_step", "train"), ("test_step", "test"), ("predict_step", "predict")):
        owner = next(k for k in model.__mro__ if step in k.__dict__)
        genuine = owner.__dict__[step]

        def hooked(self, data, _genuine=genuine, _kind=kind):
            record = state.active
            if record is not None and record.get("first_batch") is None and KINDS[record["method"]] == _kind:
                record["first_batch"] = state.probe._attempt(None, "batch", _batch_doc, data) or {}
            return _genuine(self, data)

        setattr(owner, step, functools.wraps(genuine)(hooked))


def _hook_generators(state, legacy):
    genuine_init = state.IDG.__dict__["__init__"]

    @functools.wraps(genuine_init)
    def __init__(self, *args, **kwargs):
        genuine_init(self, *args, **kwargs)
        state.probe._attempt(None, "generator", _register_generator, state, self)

    __init__.__signature__ = inspect.signature(genuine_init)
    state.IDG.__init__ = __init__
    for cls in (legacy.NumpyArrayIterator, legacy.BatchFromFilesMixin):
        genuine = cls.__dict__["_get_batches_of_transformed_samples"]

        def batches(self, index_array, _genuine=genuine):
            out = _genuine(self, index_array)
            record = state.active
            if record is not None:
                uid = _generator_uid(state, _vars(self).get("image_data_generator"))
                if uid is not None and uid not in record["augmented_by"]:
                    record["augmented_by"].append(uid)
            return out

        setattr(cls, "_get_batches_of_transformed_samples", functools.wraps(genuine)(batches))


def _register_generator(state, generator):
    if any(entry[2]() is generator for entry in state.generators):
        return
    if len(state.generators) >= MAX_GENERATORS:
        state.dropped_generators += 1
        return
    state.generators.append([len(state.generators) + 1, state.probe._S.cell, weakref.ref(generator), None])


def _generator_uid(state, generator):
    if generator is None:
        return None
    return next((entry[0] for entry in state.generators if entry[2]() is generator), None)


# --------------------------------------------------------------------------- recording a call


def _recorded(state, method, name):
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        if state.active is not None or not isinstance(self, state.Model):  # fit's own evaluate, etc.
            return method(self, *args, **kwargs)
        bound = _bind(state.positions.get(name, ()), args, kwargs)
        record = None if bound is None else state.probe._attempt(None, "training", _record, state, self, name, bound)
        if record is None:
            return method(self, *args, **kwargs)
        counter = None
        positions = state.positions[name]
        given = bound.get("callbacks")
        if "callbacks" in positions and (given is None or isinstance(given, (list, tuple))):
            counter = _counter(state, record)
            args, kwargs = list(args), dict(kwargs)
            at = positions.index("callbacks")
            if len(args) > at:
                args[at] = [*(given or ()), counter]
            else:
                kwargs["callbacks"] = [*(given or ()), counter]
        state.active = record
        try:
            result = method(self, *args, **kwargs)
        except BaseException as exc:
            record["error"] = type(exc).__name__[:100]
            raise
        finally:
            state.active = None
            if counter is None and record["error"] is None and name.endswith("_on_batch"):
                record["ran"] = {"epochs": 1, "steps": 1}
        return result

    wrapper.__keras_grader_recorded__ = True
    return wrapper


def _bind(positions, args, kwargs):
    """{name: value} of a call, by the method's positional names; None if it does not fit (the call will fail)."""
    if len(args) > len(positions):
        return None
    bound = dict(zip(positions, args))
    for key, value in kwargs.items():
        if key in bound:
            return None
        bound[key] = value
    return {KERAS1_NAMES.get(key, key): value for key, value in bound.items()}


def _record(state, model, name, bound):
    if len(state.trainings) >= MAX_TRAININGS:
        state.dropped += 1
        return None
    probe = state.probe
    x = bound.get("x")
    args = {key: _scalar(bound[key]) for key in ARGS if key in bound}
    args.update({key: bound.get(key) is not None for key in PRESENT})
    validation = bound.get("validation_data")
    record = {
        "index": len(state.trainings), "cell": probe._S.cell, "method": name, "model": probe.uid_of(model),
        "args": args,
        "data": _source_doc(state, x),
        "validation": None if validation is None else _source_doc(state, validation),
        "asked": _asked(state, name, bound, x),
        "ran": None,
        "first_batch": None,
        "callbacks": _callback_docs(state, bound.get("callbacks")),
        "optimizer": _optimizer_doc(state, model),
        "augmented_by": [],
        "error": None,
    }
    state.trainings.append(record)
    return record


def _scalar(value):
    """A JSON scalar as passed; anything else as ``<its type>`` (``steps_per_epoch=y_train`` is ``<ndarray>``)."""
    if value is None or isinstance(value, (bool, str)):
        return value[:100] if isinstance(value, str) else value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        number = float(value)
        return number if math.isfinite(number) else f"<{number}>"
    return f"<{type(value).__name__[:60]}>"


def _counter(state, record):
    """A callback of ours, added to the call's list, that counts the epochs and batches that really ran."""
    kind = KINDS[record["method"]]
    record["ran"] = ran = {"epochs": 0, "steps": 0}

    class KerasGraderCounter(state.Callback):
        def on_epoch_end(self, epoch, logs=None):
            ran["epochs"] += 1

        def on_train_batch_end(self, batch, logs=None):
            if kind == "train":
                ran["steps"] += 1

        def on_test_batch_end(self, batch, logs=None):
            if kind == "test":
                ran["steps"] += 1

        def on_predict_batch_end(self, batch, logs=None):
            if kind == "predict":
                ran["steps"] += 1

    return KerasGraderCounter()


# --------------------------------------------------------------------------- what a call was given


def _source_doc(state, data):
    """What kind of data stream this is, by the identity of genuine classes."""
    cls = type(data)
    doc = {"kind": "other", "class_name": str(cls.__name__)[:100], "function": None, "image_data_generator": None,
           "batch_size": None, "shuffle": None, "samples": None}
    own = _vars(data)
    if data is None:
        doc["kind"] = "none"
    elif cls in state.flows:
        doc.update(kind=state.flows[cls], batch_size=_int(own.get("batch_size")), shuffle=own.get("shuffle") is True,
                   samples=_int(own.get("n")),
                   image_data_generator=_generator_uid(state, own.get("image_data_generator")))
    elif cls is types.GeneratorType:
        code = data.gi_code
        doc.update(kind="generator", function=str(getattr(code, "co_qualname", code.co_name))[:100])
    elif issubclass(cls, state.PyDataset):
        doc["kind"] = "sequence"
    elif state.Dataset is not None and issubclass(cls, state.Dataset):
        doc["kind"] = "dataset"
    elif _arrays(data):
        doc.update(kind="arrays", samples=_samples(data))
    return doc


def _arrays(data, depth=0):
    if isinstance(data, (list, tuple, dict)) and depth < 3:
        items = list(data.values()) if isinstance(data, dict) else list(data)
        return bool(items) and all(_arrays(item, depth + 1) for item in items if item is not None)
    return _shape(data) is not None


def _samples(data):
    if isinstance(data, dict):
        data = next(iter(data.values()), None)
    while isinstance(data, (list, tuple)) and data:
        data = data[0]
    shape = _shape(data)
    return shape[0] if shape else None


def _shape(value):
    """The shape of a NumPy array or a TensorFlow tensor (no other class: reading it could run student code)."""
    if not isinstance(value, _ARRAYS):
        return None
    try:
        dims = value.shape
        dims = dims.as_list() if hasattr(dims, "as_list") else list(dims)
    except Exception:
        return None
    if not all(d is None or (isinstance(d, numbers.Integral) and not isinstance(d, bool)) for d in dims):
        return None
    return [None if d is None else int(d) for d in dims]


def _asked(state, name, bound, x):
    """Epochs and steps per epoch the call asks for, as written (before any budget)."""
    kind = KINDS[name]
    if name.endswith("_on_batch"):
        return {"epochs": 1, "steps_per_epoch": 1}
    epochs = bound.get("epochs", 1) if kind == "train" else 1
    steps = bound.get("steps_per_epoch") if kind == "train" else bound.get("steps")
    if steps is None:
        source = _source_doc(state, x)
        batch = _int(bound.get("batch_size")) or 32
        if source["kind"] == "arrays" and source["samples"]:
            split = bound.get("validation_split") or 0
            samples = source["samples"] * (1 - split) if isinstance(split, float) and 0 < split < 1 else source["samples"]
            steps = math.ceil(samples / batch)
        elif source["kind"].startswith("flow") and source["samples"] and source["batch_size"]:
            steps = math.ceil(source["samples"] / source["batch_size"])
    if isinstance(steps, float) and math.isfinite(steps):
        steps = math.ceil(steps)
    return {"epochs": _int(epochs), "steps_per_epoch": _int(steps)}


def _int(value):
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, numbers.Real) and math.isfinite(value) and float(value).is_integer():
        return int(value)
    return None


def _callback_docs(state, callbacks):
    if not isinstance(callbacks, (list, tuple)):
        callbacks = [] if callbacks is None else [callbacks]
    docs = []
    for callback in list(callbacks)[:MAX_ITEMS]:
        cls = type(callback)
        own = _vars(callback)
        config = {}
        for key in CALLBACK_SETTINGS:
            if key not in own:
                continue
            value = own[key]
            if key == "schedule":
                value = _function_name(value)
            config[key] = _scalar(value)
        docs.append({"class_name": str(cls.__name__)[:100], "keras_type": state.callbacks.get(cls),
                     "config": config})
    return docs


def _function_name(fn):
    if isinstance(fn, (types.FunctionType, types.BuiltinFunctionType, types.MethodType)):
        return str(getattr(fn, "__qualname__", None) or fn.__name__)[:100]
    return None if fn is None else f"<{type(fn).__name__[:60]}>"


def _optimizer_doc(state, model):
    probe = state.probe
    optimizer = _vars(model).get("optimizer")
    if optimizer is None or _vars(model).get("compiled") is not True:
        return None
    cls = type(optimizer)
    config = probe._optimizer_config(probe._S, optimizer)
    rate = config.get("learning_rate")
    schedule = None
    if not isinstance(rate, (int, float)) or isinstance(rate, bool):  # a schedule: its class, its first rate
        schedule = None if rate is None else str(rate)[:100]
        rate = _vars(_vars(optimizer).get("_learning_rate")).get("initial_learning_rate")
    number = isinstance(rate, (int, float)) and not isinstance(rate, bool) and math.isfinite(rate)
    return {"name": probe._S.optimizers.get(cls) or probe.CUSTOM + str(cls.__name__)[:100],
            "learning_rate": float(rate) if number else None, "schedule": schedule}


# --------------------------------------------------------------------------- what the model received


def _batch_doc(data):
    """{"x": [...], "y": [...], "sample_weight": [...]}: each tensor's shape, dtype and, when concrete, range."""
    parts = list(data) if isinstance(data, tuple) else [data]
    doc = {}
    for key, part in zip(("x", "y", "sample_weight"), parts):
        if part is not None:
            doc[key] = _tensors(part, key == "x")
    return doc


def _tensors(value, with_range):
    found = []
    stack = [value]
    while stack and len(found) < MAX_ITEMS:
        item = stack.pop(0)
        if isinstance(item, (list, tuple)):
            stack[:0] = list(item)
        elif isinstance(item, dict):
            stack[:0] = list(item.values())
        else:
            shape = _shape(item)
            if shape is None:
                continue
            dtype = getattr(item, "dtype", None)
            doc = {"shape": shape, "dtype": str(getattr(dtype, "name", dtype))[:40], "min": None, "max": None}
            if with_range:
                doc["min"], doc["max"] = _range(item)
            found.append(doc)
    return found


def _range(tensor):
    """(min, max) of a concrete numeric tensor or array; (None, None) while tracing a graph."""
    numpy = getattr(tensor, "numpy", None)
    try:
        import numpy as np

        values = numpy() if callable(numpy) else tensor
        values = np.asarray(values)
        if values.size == 0 or values.dtype.kind not in "biuf":
            return None, None
        low, high = float(values.min()), float(values.max())
    except Exception:
        return None, None
    if not (math.isfinite(low) and math.isfinite(high)):
        return None, None
    return low, high


# --------------------------------------------------------------------------- generators


def _generator_doc(state, entry, generator):
    own = _vars(generator)
    config = {}
    for key in GENERATOR_SETTINGS:
        value = own.get(key)
        if key == "zoom_range" and isinstance(value, (list, tuple)):
            value = [float(v) for v in value[:2]]
        elif isinstance(value, (list, tuple)):
            value = [_scalar(v) for v in list(value)[:MAX_ITEMS]]
        else:
            value = _scalar(value)
        config[key] = value
    config["validation_split"] = _scalar(own.get("_validation_split"))
    function = own.get("preprocessing_function")
    config["preprocessing_function"] = None if function is None else (_function_name(function) or "<callable>")
    cls = type(generator)
    return {"uid": entry[0], "cell": entry[1], "class_name": str(cls.__name__)[:100],
            "keras_type": "ImageDataGenerator" if cls is state.IDG else None, "config": config}
