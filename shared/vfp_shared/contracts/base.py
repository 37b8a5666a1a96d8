"""The base of every event contract and the registry pairing topic → model → partition key."""

from collections.abc import Callable
from typing import ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict


class Contract(BaseModel):
    """The data of one event type at one version. Pseudonymous references only: no names,
    contact details or free text ever go in a contract."""

    model_config = ConfigDict(frozen=True)

    TOPIC: ClassVar[str]
    EVENT_TYPE: ClassVar[str]
    VERSION: ClassVar[int]
    # The field whose value is the Kafka key, so one victim's (or case's) events stay in order.
    KEY_FIELD: ClassVar[str]

    def partition_key(self) -> str:
        return str(getattr(self, self.KEY_FIELD))


class UnknownTopic(LookupError):
    """No contract is registered for this topic."""


REGISTRY: dict[str, type[Contract]] = {}

C = TypeVar("C", bound=type[Contract])


def event(name: str, *, version: int, key: str) -> Callable[[C], C]:
    """Register a contract: `name` like ``force.case-closed``; its topic is ``name.v<version>``."""

    def register(model: C) -> C:
        topic = f"{name}.v{version}"
        if topic in REGISTRY:
            raise ValueError(f"{topic} is registered twice")
        if key not in model.__pydantic_fields__:
            raise ValueError(f"{topic}: key field {key!r} is not a field of {model.__name__}")
        model.TOPIC, model.EVENT_TYPE, model.VERSION, model.KEY_FIELD = topic, name, version, key
        REGISTRY[topic] = model
        return model

    return register


def contract_for(topic: str) -> type[Contract]:
    try:
        return REGISTRY[topic]
    except KeyError:
        raise UnknownTopic(topic) from None
