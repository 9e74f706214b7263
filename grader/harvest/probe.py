"""The harvester probe: runs INSIDE the student's kernel and measures every Keras model.

How the runner uses it (``grader/execute/runner.py``)
----------------------------------------------------
The kernel never imports this file. The runner hands it its *text* and execs it
in a module object of its own, ``sys.modules["_keras_grader_probe"]`` (kept out
of the student's namespace), then calls::

    install()            # once, before any student code; imports Keras
    begin_cell(i)        # before code cell i (after the previous cell's emit)
    emit(nonce)          # after the cell: publishes one display_data output

``emit`` and the next ``begin_cell`` are the ``user_expressions`` of a cell's
own request when it succeeded, statements of a request of their own otherwise.

``emit`` publishes ``{"nonce": nonce, "doc": snapshot()}`` under MIME type
``application/vnd.keras-grader.harvest+json`` through the IPython display
publisher captured at install, and returns None (so nothing is echoed); outside
IPython it returns that dict instead. ``snapshot()`` is the harvest document
that ``grader.harvest.schema.parse_harvest`` validates. ``uninstall()`` exists
for in-process tests only.

Why it is built this way
------------------------
* Only the standard library at top level and nothing from ``grader``: the
  kernel may not have the grader installed. Keras is imported by ``install``.
* Students monkeypatch things (``Conv2D.count_params``, ``Model.summary``,
  ``keras.layers.Conv2D = Fake``, ``json.dumps``). So ``install`` captures the
  genuine classes, property getters, ``get_config`` functions, ``json.dumps``,
  ``math.prod`` and the display publisher, and every fact is *measured* from
  instance state (``vars(obj)``) with those captured functions: parameter
  counts from variable shapes, output shapes from symbolic KerasTensors,
  activations by identity with Keras' own functions. ``keras_type`` is set
  only when ``type(obj)`` *is* the genuine public class.
* The probe never changes a model: no build, compile, summary, call, or
  attribute write, and no property that creates state lazily.
* Every model is seen, even after the student rebinds ``model``: the genuine
  ``__init__`` of ``Model``, ``Functional`` and ``Sequential`` is wrapped, and
  the outermost one records the object when it returns (so each model is
  recorded exactly once, only when its construction succeeded; the Functional
  that ``Sequential.build`` makes internally is not a student model and is
  skipped). Models of the current cell are held strongly until ``emit``, then
  only weakly; a dead model keeps its last snapshot. At most 200 models are
  recorded (the first ones); later ones are only counted in ``dropped_models``.
* Nothing raises into the kernel: each model, layer and fact is read under its
  own ``try``; what failed is listed in an extra ``probe_errors`` key (a list of
  strings, on a model and at the top level) that ``parse_harvest`` ignores.
"""

import functools
import inspect
import json
import math
import numbers
import re
import struct
import sys
import warnings
import weakref

SCHEMA = "keras-grader.harvest/1"
MIME_TYPE = "application/vnd.keras-grader.harvest+json"
MAX_MODELS = 200
SHIM_MODULES = ("_keras_grader_offline", "_keras_grader_compat")  # where the runner execs offline.py and compat.py
TRAINING_MODULE = "_keras_grader_training"  # where the runner execs training.py (training facts)
MAX_NOTES = 40
# Installed for the students' code, not for Keras: ``import keras`` imports them when they are there (its scikit-learn
# wrappers, its DataFrame slicing), 0.6 s of CPU per cold kernel. Hidden while Keras imports, Keras is as it was
# without them. forkserver.HIDDEN_FROM_KERAS must be the same (fast = cold).
HIDDEN_FROM_KERAS = ("sklearn", "pandas")
MAX_LAYERS = 2000
MAX_DEPTH = 4  # nesting of models used as layers, as parse_harvest allows
MAX_ERRORS = 20
MAX_ITEMS = 1000  # of one list in a config
MAX_TEXT = 10000  # characters of one string in a config
CUSTOM = "custom:"  # prefix of the name of anything that is not Keras' own

_DROP = object()  # a config value that has no JSON form
_S = None  # the _State once installed


class _Record:
    """One recorded model: strong while its cell runs, weak after the next emit."""

    __slots__ = ("uid", "cell", "strong", "ref", "last")

    def __init__(self, uid, cell, model):
        self.uid, self.cell, self.strong, self.last = uid, cell, model, None
        try:
            self.ref = weakref.ref(model)
        except TypeError:  # cannot be weakly referenced: keep it alive for good
            self.ref = None


class _State:
    """Everything captured at install, plus the model registry."""

    def __init__(self):
        self.errors = []
        self.records = []
        self.dropped = 0
        self.cell = None
        self.constructing = set()
        self.originals = []  # (class, attribute, original, wrapper) for uninstall
        self.publish = None
        self.dumps, self.loads, self.prod = json.dumps, json.loads, math.prod


# --------------------------------------------------------------------------- public API


def install():
    """Import Keras, capture the genuine things, hook model construction. Idempotent.

    Raises only when Keras itself cannot be imported: grading is impossible then,
    and that is the grader's environment, not the student's fault.
    """
    global _S
    if _S is not None:
        return None
    import gc
    import sys

    # A cold kernel imports Keras here: millions of objects that live as long as the kernel. The collector is
    # off meanwhile (walking them again and again as they come cost ~0.5 s), and they are frozen after, as
    # the fork server froze them for a forked kernel, so no later collection walks them either.
    fresh = "keras" not in sys.modules
    collecting = gc.isenabled()
    gc.disable()
    hidden = [name for name in HIDDEN_FROM_KERAS if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # an ImportError for Keras' optional "import sklearn" and "import pandas"
    try:
        import keras
    finally:
        for name in hidden:
            if sys.modules.get(name, 0) is None:
                del sys.modules[name]  # the student's own import finds them as usual
        if fresh:
            gc.freeze()
        if collecting:
            gc.enable()

    state = _State()
    _attempt(state.errors, "capture", _capture, state, keras)
    _attempt(state.errors, "hooks", _install_hooks, state)
    _attempt(state.errors, "publisher", _capture_publisher, state)
    _S = state
    return None


def begin_cell(index):
    """Models created from now on belong to code cell ``index``."""
    if _S is not None:
        try:
            _S.cell = int(index)
        except Exception:
            _S.cell = None
    return None


def snapshot():
    """The harvest document: every recorded model, measured now or as last seen alive."""
    state = _S
    if state is None:
        return _document(None, [], ["probe not installed"])
    models, errors = [], list(state.errors)
    with warnings.catch_warnings():  # Keras' warnings must not leak into the student's output
        warnings.simplefilter("ignore")
        for rec in state.records:
            model = rec.strong if rec.strong is not None else (rec.ref() if rec.ref is not None else None)
            if model is not None:  # a model that cannot be read at all keeps its previous snapshot
                rec.last = _attempt(errors, f"model {rec.uid}", _model_doc, state, rec, model) or rec.last
            if rec.last is not None:
                models.append(rec.last)
    return _document(state, models, errors)


def emit(nonce):
    """Publish ``{"nonce", "doc"}`` as display_data, then hold this cell's models only weakly."""
    state = _S
    try:
        doc = snapshot()
    except Exception as exc:  # snapshot guards each fact; this is the last line of defence
        doc = _document(state, [], [f"snapshot: {_describe(exc)}"])
    payload = {"nonce": str(nonce), "doc": doc}
    if state is None:
        return payload
    for rec in state.records:
        if rec.ref is not None:
            rec.strong = None
    try:  # a JSON round trip both proves the document is JSON and detaches it from the cache
        payload = state.loads(state.dumps(payload, allow_nan=False))
    except Exception as exc:
        payload = {"nonce": str(nonce), "doc": _document(state, [], [f"json: {_describe(exc)}"])}
    if state.publish is None:
        return payload
    try:
        state.publish(data={MIME_TYPE: payload}, metadata={})
    except Exception:
        return payload
    return None


def uninstall():
    """Undo the hooks and forget every model (for in-process tests; the runner never calls it)."""
    global _S
    state, _S = _S, None
    if state is None:
        return None
    for cls, name, original, wrapper in reversed(state.originals):
        if cls.__dict__.get(name) is wrapper:
            setattr(cls, name, original)
    return None


# --------------------------------------------------------------------------- install


def _capture(state, keras):
    """Record the genuine classes and functions while the student cannot have touched them."""
    from keras.src.models.functional import Functional

    state.keras_version = str(keras.__version__)
    state.backend = _attempt(state.errors, "backend", lambda: str(keras.backend.backend()))
    state.Layer, state.Model, state.Variable = keras.Layer, keras.Model, keras.Variable
    state.Sequential, state.Functional = keras.Sequential, Functional
    state.layer_trainable = _getter(keras.Layer, "trainable")
    state.var_trainable = _getter(keras.Variable, "trainable")
    state.var_shape = _getter(keras.Variable, "shape")
    state.var_numpy = _static(keras.Variable, "numpy")
    state.KerasTensor = keras.KerasTensor
    state.tensor_shape = _getter(keras.KerasTensor, "shape")
    state.seq_build_code = keras.Sequential.__dict__["build"].__code__

    state.keras_types = _public_classes(keras.layers, keras.Layer)
    state.keras_types.update({keras.Model: "Model", keras.Sequential: "Sequential", Functional: "Functional"})
    state.optimizers = _public_classes(keras.optimizers, keras.optimizers.Optimizer)
    state.activations = _public_functions(keras.activations, skip=("get", "serialize", "deserialize"))
    state.losses = _public_functions(keras.losses, skip=("get", "serialize", "deserialize"))
    state.losses.update(_public_functions(keras.metrics, skip=("get", "serialize", "deserialize")))
    for cls in list(_public_classes(keras.losses, object)) + list(_public_classes(keras.metrics, object)):
        state.losses[cls] = _default_name(cls)
    # The get_config each genuine class resolves to now, before any monkeypatching.
    state.get_config = {}
    for cls in list(state.keras_types) + list(state.optimizers):
        for klass in cls.__mro__:
            if klass not in state.get_config:
                try:
                    state.get_config[klass] = _static(klass, "get_config")
                except AttributeError:
                    pass


def _install_hooks(state):
    """Wrap the genuine constructors so the outermost one records the finished model."""
    for cls in (state.Model, state.Functional, state.Sequential):
        original = cls.__dict__["__init__"]
        wrapper = _constructor_hook(state, original)
        setattr(cls, "__init__", wrapper)
        state.originals.append((cls, "__init__", original, wrapper))


def _constructor_hook(state, original):
    @functools.wraps(original)
    def __init__(self, *args, **kwargs):
        key = id(self)
        if key in state.constructing:  # an inner genuine __init__ of the same object
            return original(self, *args, **kwargs)
        state.constructing.add(key)
        try:
            original(self, *args, **kwargs)
        finally:
            state.constructing.discard(key)
        try:
            if not _called_from(state.seq_build_code, 3):  # Sequential's internal Functional
                _register(state, self)
        except Exception:
            pass

    # Keras reads the constructor's signature (auto get_config): keep the genuine one.
    __init__.__signature__ = inspect.signature(original)
    return __init__


def _called_from(code, depth):
    """Whether one of the ``depth`` frames above the hook runs ``code`` (a wrapper may stand between)."""
    frame = sys._getframe(2)
    for _ in range(depth):
        if frame is None:
            return False
        if frame.f_code is code:
            return True
        frame = frame.f_back
    return False


def uid_of(model):
    """The uid of a recorded model (for the training facts), or None."""
    state = _S
    if state is None:
        return None
    for rec in state.records:
        if rec.strong is model or (rec.ref is not None and rec.ref() is model):
            return rec.uid
    return None


def _register(state, model):
    if len(state.records) >= MAX_MODELS:
        state.dropped += 1
        return
    state.records.append(_Record(len(state.records) + 1, state.cell, model))


def _capture_publisher(state):
    """The kernel's display publisher, if this is an IPython kernel (never imports IPython)."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is not None:
        state.publish = shell.display_pub.publish


def _static(cls, name):
    """``cls.name`` as stored in the class dicts, without running descriptors."""
    for klass in cls.__mro__:
        if name in klass.__dict__:
            return klass.__dict__[name]
    raise AttributeError(f"{cls.__name__}.{name}")


def _getter(cls, name):
    return _static(cls, name).fget


def _public_classes(module, base):
    """class -> its public name; an alias (Convolution2D) maps to the class's own name."""
    found = {}
    for name, value in vars(module).items():
        if not name.startswith("_") and isinstance(value, type) and issubclass(value, base):
            if value not in found or name == value.__name__:
                found[value] = name
    return found


def _public_functions(module, skip):
    return {value: value.__name__ for name, value in vars(module).items()
            if not name.startswith("_") and name not in skip and inspect.isfunction(value)}


def _default_name(cls):
    """The name a loss or metric gets when constructed with defaults ("categorical_crossentropy", "auc")."""
    try:
        default = inspect.signature(cls.__init__).parameters["name"].default
        if isinstance(default, str):
            return default
    except Exception:
        pass
    snake = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", cls.__name__)  # as Keras' auto_name does
    return re.sub("([a-z])([A-Z])", r"\1_\2", snake).lower()


# --------------------------------------------------------------------------- measuring


def _model_doc(state, rec, model):
    errors = []
    cls = type(model)
    own = _vars(model)
    doc = {
        "uid": rec.uid, "cell": rec.cell, "name": _name(own), "class_name": str(cls.__name__),
        "keras_type": state.keras_types.get(cls), "built": own.get("built") is True,
        "input_shapes": [], "output_shapes": [], "total_params": 0, "trainable_params": 0,
        "layers": [], "compile": None,
    }
    shapes = _attempt(errors, "shapes", _model_shapes, state, model, own)
    if shapes:
        doc["input_shapes"], doc["output_shapes"] = shapes
    counts = _attempt(errors, "params", _count, state, model)
    if counts:
        doc["total_params"], doc["trainable_params"] = counts
    doc["layers"] = _attempt(errors, "layers", _layer_docs, state, model, 0, errors) or []
    doc["compile"] = _attempt(errors, "compile", _compile_doc, state, own)
    if errors:
        doc["probe_errors"] = errors
    return doc


def _layer_docs(state, model, depth, errors):
    nodes = _model_nodes(model)
    docs = []
    for index, layer in enumerate(_children(state, model)[:MAX_LAYERS]):
        doc = _attempt(errors, f"layer {index}", _layer_doc, state, layer, index, nodes, depth, errors)
        if doc is not None:
            docs.append(doc)
    return docs


def _layer_doc(state, layer, index, nodes, depth, errors):
    cls = type(layer)
    own = _vars(layer)
    where = f"layer {index}"
    doc = {"index": index, "name": _name(own), "class_name": str(cls.__name__), "module": str(cls.__module__),
           "keras_type": state.keras_types.get(cls), "config": {}, "output_shape": None,
           "params": 0, "trainable_params": 0}
    counts = _attempt(errors, f"{where} params", _count, state, layer)
    if counts:
        doc["params"], doc["trainable_params"] = counts
    doc["output_shape"] = _attempt(errors, f"{where} output_shape", _output_shape, state, layer, own, nodes)
    if issubclass(cls, state.Model):  # a model used as a layer: its layers, not its (huge) config
        if depth < MAX_DEPTH:
            doc["layers"] = _layer_docs(state, layer, depth + 1, errors)
    else:
        doc["config"] = _attempt(errors, f"{where} config", _config, state, layer, own) or {}
    return doc


def _children(state, model):
    """The model's layers as Keras lists them, read from instance state, deduplicated."""
    own = _vars(model)
    source = own.get("_operations") if "_operations" in own else own.get("_layers")
    found, seen = [], set()
    for item in list(source or ()):
        if issubclass(type(item), state.Layer) and id(item) not in seen:
            seen.add(id(item))
            found.append(item)
    return found


def _count(state, layer):
    """(params, trainable params) from variable shapes, each variable counted once."""
    weights, seen_layers, seen_vars = [], set(), set()
    stack = [layer]
    while stack:
        current = stack.pop()
        if id(current) in seen_layers:
            continue
        seen_layers.add(id(current))
        own = _vars(current)
        for v in list(own.get("_trainable_variables") or ()) + list(own.get("_non_trainable_variables") or ()):
            if issubclass(type(v), state.Variable) and id(v) not in seen_vars:
                seen_vars.add(id(v))
                weights.append(v)
        stack.extend(x for x in list(own.get("_layers") or ()) if issubclass(type(x), state.Layer))
    sizes = [(int(state.prod(state.var_shape(v))), v) for v in weights]
    total = sum(size for size, _ in sizes)
    if not state.layer_trainable(layer):  # Keras: a frozen layer has no trainable weights
        return total, 0
    return total, sum(size for size, v in sizes if state.var_trainable(v))


def _model_nodes(model):
    """Keys of the graph nodes that belong to this model (to pick a shared layer's node)."""
    own = _vars(model)
    functional = model if "_nodes" in own else own.get("_functional")
    nodes = _vars(functional).get("_nodes") if functional is not None else None
    return nodes if isinstance(nodes, (set, frozenset)) else None


def _output_shape(state, layer, own, nodes):
    inbound = list(own.get("_inbound_nodes") or ())
    chosen = next((node for i, node in enumerate(inbound) if nodes and f"{id(layer)}_ib-{i}" in nodes),
                  inbound[0] if inbound else None)
    if chosen is None:
        return None
    shapes = _tensor_shapes(state, _vars(chosen).get("outputs"))
    if not shapes:
        return None
    return shapes[0] if len(shapes) == 1 else shapes


def _model_shapes(state, model, own):
    """Symbolic inputs/outputs (Functional, built Sequential), else the shapes it was built with."""
    functional = model if "_outputs" in own else own.get("_functional")
    if functional is not None:
        inner = _vars(functional)
        return _tensor_shapes(state, inner.get("_inputs")), _tensor_shapes(state, inner.get("_outputs"))
    built_with = own.get("_build_shapes_dict")
    if isinstance(built_with, dict):
        return [s for s in (_plain_shape(v) for v in built_with.values()) if s is not None], []
    return [], []


def _tensor_shapes(state, tensors):
    """Shapes of the KerasTensors in a list; anything else is skipped."""
    shapes = [_plain_shape(state.tensor_shape(t)) for t in list(tensors or ())
              if issubclass(type(t), state.KerasTensor)]
    return [s for s in shapes if s is not None]


def _plain_shape(value):
    if not isinstance(value, (tuple, list)):
        return None
    dims = []
    for dim in value:
        if dim is None or (isinstance(dim, numbers.Integral) and not isinstance(dim, bool)):
            dims.append(None if dim is None else int(dim))
        else:
            return None
    return dims


def _config(state, layer, own):
    """The genuine get_config, JSON-safe, with activations named by identity."""
    get_config = next((state.get_config[k] for k in type(layer).__mro__ if k in state.get_config), None)
    raw = get_config(layer) if get_config is not None else {}
    config = _jsonable(raw, 0) if isinstance(raw, dict) else {}
    for key in list(config):
        fn = own.get(key)
        if key.endswith("activation") and callable(fn):
            config[key] = _known_name(state.activations, fn)
    return config


def _compile_doc(state, own):
    """Optimizer, loss and metrics as given to the genuine compile (read, never recomputed)."""
    if own.get("compiled") is not True:
        return None
    optimizer = own.get("optimizer")
    compile_config = _vars(own.get("_compile_config")).get("config") or {}
    doc = {"optimizer": None, "optimizer_config": {},
           "loss": _loss_names(state, compile_config.get("loss"), 0),
           "metrics": _metric_names(state, compile_config.get("metrics"), 0)}
    if optimizer is not None:
        cls = type(optimizer)
        doc["optimizer"] = state.optimizers.get(cls) or CUSTOM + str(cls.__name__)
        doc["optimizer_config"] = _optimizer_config(state, optimizer)
    return doc


def _optimizer_config(state, optimizer):
    get_config = next((state.get_config[k] for k in type(optimizer).__mro__ if k in state.get_config), None)
    config = {}
    try:
        raw = get_config(optimizer) if get_config is not None else {}
        config = _jsonable(raw, 0) if isinstance(raw, dict) else {}
    except Exception:
        pass
    rate = _vars(optimizer).get("_learning_rate")
    if issubclass(type(rate), state.Variable):
        rate = state.var_numpy(rate)
    try:
        rate = _short_float(float(rate))
    except Exception:  # a schedule: get_config's serialized form (its class name) stays
        return config
    if math.isfinite(rate):
        config["learning_rate"] = rate
    return config


def _short_float(number):
    """A float32 variable's value as the decimal the student typed: 0.001, not 0.0010000000474974513."""
    as_float32 = struct.unpack("f", struct.pack("f", number))[0] if abs(number) < 3e38 else None
    if as_float32 != number:
        return number
    for digits in range(1, 10):
        shorter = float(f"{number:.{digits}g}")
        if struct.unpack("f", struct.pack("f", shorter))[0] == number:
            return shorter
    return number


def _loss_names(state, loss, depth):
    if isinstance(loss, (list, tuple)) and depth < 2:
        return [_loss_names(state, x, depth + 1) for x in loss[:MAX_ITEMS]]
    if isinstance(loss, dict) and depth < 2:
        return {str(k): _loss_names(state, v, depth + 1) for k, v in list(loss.items())[:MAX_ITEMS]}
    return None if loss is None else _known_name(state.losses, loss)


def _metric_names(state, metrics, depth):
    if metrics is None:
        return []
    if isinstance(metrics, dict):
        metrics = list(metrics.values())
    if isinstance(metrics, (list, tuple)):
        if depth >= 2:
            return []
        return [name for x in metrics[:MAX_ITEMS] for name in _metric_names(state, x, depth + 1)]
    return [_known_name(state.losses, metrics)]


def _known_name(known, obj):
    """A string as given, Keras' own function or class instance by identity, else ``custom:name``."""
    if isinstance(obj, str):
        return obj[:MAX_TEXT]
    try:
        if obj in known:
            return known[obj]
    except TypeError:  # unhashable
        pass
    cls = type(obj)
    if cls in known:
        return known[cls]
    name = getattr(obj, "__name__", None) if inspect.isfunction(obj) else cls.__name__
    return CUSTOM + str(name)


def _jsonable(value, depth):
    """JSON types only: tuples become lists, serialized Keras objects their class name."""
    if value is None or isinstance(value, (bool, str)):
        return value[:MAX_TEXT] if isinstance(value, str) else value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        number = float(value)
        return number if math.isfinite(number) else _DROP
    if depth > 8:
        return _DROP
    if isinstance(value, (list, tuple)):
        items = [_jsonable(x, depth + 1) for x in list(value)[:MAX_ITEMS]]
        return _DROP if any(x is _DROP for x in items) else items
    if isinstance(value, dict):
        if "class_name" in value and "config" in value:  # serialize_keras_object output
            inner = value.get("config")
            if value.get("class_name") == "function" and isinstance(inner, str):
                return inner
            if "DTypePolicy" in str(value.get("class_name")) and isinstance(inner, dict):
                return _jsonable(inner.get("name"), depth + 1)
            return _jsonable(value.get("class_name"), depth + 1)
        out = {}
        for key, item in list(value.items())[:MAX_ITEMS]:
            item = _jsonable(item, depth + 1)
            if isinstance(key, str) and item is not _DROP:
                out[key] = item
        return out
    return _DROP


# --------------------------------------------------------------------------- helpers


def _document(state, models, errors):
    doc = {"schema": SCHEMA,
           "keras_version": getattr(state, "keras_version", None),
           "backend": getattr(state, "backend", None),
           "models": models,
           "dropped_models": state.dropped if state is not None else 0,
           "notes": _shim_notes()}
    training = sys.modules.get(TRAINING_MODULE)
    if training is not None:  # trainings, image_data_generators, dropped_trainings
        doc.update(_attempt(errors, "training facts", training.facts) or {})
    if errors:
        doc["probe_errors"] = list(errors)
    return doc


def _shim_notes():
    """What the kernel-side shims (``offline.py``, ``compat.py``) did, e.g. a dataset served offline: keys and parameters."""
    notes = []
    for module in SHIM_MODULES:
        try:
            for event in list(getattr(sys.modules.get(module), "EVENTS", None) or [])[:MAX_NOTES - len(notes)]:
                params = {}
                for name, value in dict(event["params"]).items():
                    params[str(name)[:20]] = value if type(value) is int and 0 <= value <= 10**9 else str(value)[:80]
                notes.append({"key": str(event["key"])[:40], "params": params})
        except Exception:
            pass
    return notes


def _vars(obj):
    """The instance dict, read without running any of the object's methods."""
    try:
        found = object.__getattribute__(obj, "__dict__")
    except Exception:
        return {}
    return found if isinstance(found, dict) else {}


def _name(own):
    name = own.get("name")
    return name[:MAX_TEXT] if isinstance(name, str) else ""


def _attempt(errors, where, fn, *args):
    """``fn(*args)``, or None with the failure noted: one bad fact never loses the rest."""
    try:
        return fn(*args)
    except Exception as exc:
        if errors is not None and len(errors) < MAX_ERRORS:
            errors.append(f"{where}: {_describe(exc)}")
        return None


def _describe(exc):
    return f"{type(exc).__name__}: {exc}"[:300]
