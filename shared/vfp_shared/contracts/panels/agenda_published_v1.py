from datetime import datetime

from pydantic import BaseModel

from vfp_shared.contracts.base import Contract, event
from vfp_shared.contracts.panels.vocabulary import AgendaItemKind
from vfp_shared.contracts.vocabulary import ParticipationMode


class AgendaItemV1(BaseModel):
    position: int
    kind: AgendaItemKind
    minutes: int
    participant_ref: str | None = None
    service_ref: str | None = None
    mode: ParticipationMode | None = None


@event("panels.agenda-published", version=1, key="panel_ref")
class AgendaPublishedV1(Contract):
    panel_ref: str
    items: list[AgendaItemV1]
    published_at: datetime
