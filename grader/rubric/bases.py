"""A model built on another: which layers are the student's own, and whether the base came pretrained.

Transfer learning builds a model on a base (``ResNet50(include_top=False)``):
either as one layer of the student's model (``Sequential([base, Flatten(),
Dense(10)])``), or by calling new layers on the base's output, which makes the
base's layers the student's model's too. A Dropout the student added is
regularisation they configured; the base's hundred BatchNormalizations are not.
Every model built in the run is harvested, the base included, so the layers a
model shares with a smaller harvested model are that base's.
"""

from __future__ import annotations

from grader.harvest.schema import Harvest, LayerFacts, ModelFacts

#: run notes (``grader/harvest/compat.py``) saying that pretrained weights were asked for
PRETRAINED_NOTES = ("pretrained_untrained", "pretrained_local")


def bases(model: ModelFacts, harvest: Harvest) -> list[ModelFacts]:
    """Other harvested models whose layers are all layers of ``model`` (and fewer): the bases it was built on."""
    names = {layer.name for layer in model.body()}
    found = []
    for other in harvest.models:
        if other.uid == model.uid:
            continue
        theirs = {layer.name for layer in other.body()}
        if len(theirs) >= 2 and theirs < names:
            found.append(other)
    return found


def is_base(model: ModelFacts, harvest: Harvest) -> bool:
    """Whether a bigger harvested model was built on this one (holds it as a layer, or all its layers)."""
    names = {layer.name for layer in model.body()}
    for other in harvest.models:
        if other.uid == model.uid:
            continue
        body = other.body()
        if any(layer.layers and layer.name == model.name for layer in body):
            return True
        if len(names) >= 2 and names < {layer.name for layer in body}:
            return True
    return False


def own_layers(model: ModelFacts, harvest: Harvest) -> tuple[LayerFacts, ...]:
    """The layers the student added: none for a base another model was built on; otherwise the model's layers
    without any base (neither a nested model nor a layer it shares with a base)."""
    if is_base(model, harvest):
        return ()
    shared = {layer.name for base in bases(model, harvest) for layer in base.body()}
    return tuple(layer for layer in model.body() if not layer.layers and layer.name not in shared)


def has_base(model: ModelFacts, harvest: Harvest) -> bool:
    return any(layer.layers for layer in model.body()) or bool(bases(model, harvest))


def pretrained_asked(harvest: Harvest) -> bool:
    """Whether the run asked Keras for pretrained weights (``weights='imagenet'``)."""
    return any(note.key in PRETRAINED_NOTES for note in harvest.notes)
