"""Repositories: load and store the domain's objects on the panels schema (SQLAlchemy Core)."""

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from vfp_panels.adapters import tables as t
from vfp_panels.domain.agenda import AgendaItem
from vfp_panels.domain.attendance import Attendee
from vfp_panels.domain.consent import Consent
from vfp_panels.domain.dates import Window
from vfp_panels.domain.errors import PanelNotFound
from vfp_panels.domain.invitations import Invitation
from vfp_panels.domain.model import Alert, Panel, PanelStatus
from vfp_shared.contracts.panels.vocabulary import AgendaItemKind, InviteeKind, PanelFormat
from vfp_shared.contracts.vocabulary import ContactRoute, FocusTheme, ParticipationMode


def _same_organisation(organisation: str | None) -> sa.ColumnElement[bool]:
    return t.panels.c.organisation.is_not_distinct_from(organisation)


class PanelRepository:
    def __init__(self, session: AsyncSession):
        self._session = session

    async def lock_diary(self, organisation: str | None) -> None:
        """Serialise date changes of one organisation, so two requests cannot both pass the
        clash check."""
        await self._session.execute(
            sa.select(sa.func.pg_advisory_xact_lock(sa.func.hashtext(f"panels:{organisation}")))
        )

    async def get(self, panel_ref: str, organisation: str | None) -> Panel:
        """The panel with its agenda and alerts, locked for this transaction; another
        organisation's panel is not found."""
        row = (
            await self._session.execute(
                sa.select(t.panels)
                .where(t.panels.c.panel_ref == panel_ref, _same_organisation(organisation))
                .with_for_update()
            )
        ).first()
        if row is None:
            raise PanelNotFound(panel_ref)
        return (await self._assemble([row]))[0]

    async def find(
        self,
        organisation: str | None,
        statuses: Iterable[PanelStatus],
        starting_from: datetime | None = None,
    ) -> list[Panel]:
        query = sa.select(t.panels).where(
            _same_organisation(organisation), t.panels.c.status.in_(list(statuses))
        )
        if starting_from is not None:
            query = query.where(t.panels.c.starts_at >= starting_from)
        rows = (await self._session.execute(query.order_by(t.panels.c.starts_at))).all()
        return await self._assemble(rows)

    async def agenda_participants(self, panel_ref: str) -> set[str]:
        """The victims the panel's agenda names (read without locking the panel)."""
        found = await self._session.scalars(
            sa.select(t.agenda_items.c.participant_ref).where(
                t.agenda_items.c.panel_ref == panel_ref,
                t.agenda_items.c.participant_ref.is_not(None),
            )
        )
        return set(found)

    async def with_participant(
        self, participant_ref: str, statuses: Iterable[PanelStatus] | None = None
    ) -> list[Panel]:
        """Every panel (in `statuses`, when given) whose agenda or invitations name this victim
        (any organisation), locked."""
        on_agenda = sa.select(t.agenda_items.c.panel_ref).where(
            t.agenda_items.c.participant_ref == participant_ref
        )
        invited = sa.select(t.invitations.c.panel_ref).where(
            t.invitations.c.participant_ref == participant_ref
        )
        query = sa.select(t.panels).where(t.panels.c.panel_ref.in_(on_agenda.union(invited)))
        if statuses is not None:
            query = query.where(t.panels.c.status.in_(list(statuses)))
        rows = (
            await self._session.execute(query.order_by(t.panels.c.panel_ref).with_for_update())
        ).all()
        return await self._assemble(rows)

    async def windows(self, organisation: str | None) -> list[tuple[str, Window]]:
        """The time of every panel of the organisation that still takes or took place."""
        rows = await self._session.execute(
            sa.select(t.panels.c.panel_ref, t.panels.c.starts_at, t.panels.c.ends_at).where(
                _same_organisation(organisation), t.panels.c.status != PanelStatus.CANCELLED
            )
        )
        return [(r.panel_ref, Window(r.starts_at, r.ends_at)) for r in rows]

    async def service_slots(
        self, service_ref: str, now: datetime
    ) -> list[tuple[Panel, int, AgendaItem]]:
        """(panel, position, item) of each timeslot a commissioned service has on a scheduled
        panel that has not ended."""
        refs = sa.select(t.agenda_items.c.panel_ref).where(
            t.agenda_items.c.service_ref == service_ref
        )
        rows = (
            await self._session.execute(
                sa.select(t.panels)
                .where(
                    t.panels.c.panel_ref.in_(refs),
                    t.panels.c.status == PanelStatus.SCHEDULED,
                    t.panels.c.ends_at >= now,
                )
                .order_by(t.panels.c.starts_at)
            )
        ).all()
        return [
            (panel, position, item)
            for panel in await self._assemble(rows)
            for position, item in enumerate(panel.agenda)
            if item.service_ref == service_ref
        ]

    async def add(self, panel: Panel) -> None:
        await self._session.execute(t.panels.insert().values(_panel_values(panel)))
        await self._store_children(panel)

    async def save(self, panel: Panel) -> None:
        await self._session.execute(
            t.panels.update().where(t.panels.c.panel_ref == panel.ref).values(_panel_values(panel))
        )
        await self._session.execute(
            t.agenda_items.delete().where(t.agenda_items.c.panel_ref == panel.ref)
        )
        await self._store_children(panel)

    async def _store_children(self, panel: Panel) -> None:
        if panel.agenda:
            await self._session.execute(
                t.agenda_items.insert(),
                [_item_values(panel.ref, pos, item) for pos, item in enumerate(panel.agenda)],
            )
        if panel.alerts:
            statement = insert(t.alerts).values(
                [
                    {
                        "alert_ref": a.ref,
                        "panel_ref": panel.ref,
                        "kind": a.kind,
                        "raised_at": a.raised_at,
                        "acknowledged_at": a.acknowledged_at,
                        "acknowledged_by": a.acknowledged_by,
                    }
                    for a in panel.alerts
                ]
            )
            await self._session.execute(
                statement.on_conflict_do_update(
                    index_elements=["alert_ref"],
                    set_={
                        "acknowledged_at": statement.excluded.acknowledged_at,
                        "acknowledged_by": statement.excluded.acknowledged_by,
                    },
                )
            )

    async def _assemble(self, rows: Sequence[Any]) -> list[Panel]:
        refs = [row.panel_ref for row in rows]
        if not refs:
            return []
        items: dict[str, list[AgendaItem]] = {ref: [] for ref in refs}
        for item in await self._session.execute(
            sa.select(t.agenda_items)
            .where(t.agenda_items.c.panel_ref.in_(refs))
            .order_by(t.agenda_items.c.panel_ref, t.agenda_items.c.position)
        ):
            items[item.panel_ref].append(
                AgendaItem(
                    kind=AgendaItemKind(item.kind),
                    minutes=item.minutes,
                    participant_ref=item.participant_ref,
                    service_ref=item.service_ref,
                    mode=ParticipationMode(item.mode) if item.mode else None,
                    media_ref=item.media_ref,
                )
            )
        raised: dict[str, list[Alert]] = {ref: [] for ref in refs}
        for alert in await self._session.execute(
            sa.select(t.alerts).where(t.alerts.c.panel_ref.in_(refs)).order_by(t.alerts.c.raised_at)
        ):
            raised[alert.panel_ref].append(
                Alert(
                    alert.alert_ref,
                    alert.kind,
                    alert.raised_at,
                    alert.acknowledged_at,
                    alert.acknowledged_by,
                )
            )
        return [_panel_from(row, items[row.panel_ref], raised[row.panel_ref]) for row in rows]


def _panel_values(panel: Panel) -> dict[str, Any]:
    return {
        "panel_ref": panel.ref,
        "organisation": panel.organisation,
        "title": panel.title,
        "starts_at": panel.starts_at,
        "ends_at": panel.ends_at,
        "format": panel.format.value,
        "meeting_link": panel.meeting_link,
        "venue": panel.venue,
        "themes": [theme.value for theme in panel.themes],
        "lead_ref": panel.lead_ref,
        "coordinator_refs": panel.coordinator_refs,
        "command_area_refs": panel.command_area_refs,
        "organisation_refs": panel.organisation_refs,
        "case_study_capacity": panel.case_study_capacity,
        "status": panel.status.value,
        "agenda_published_at": panel.agenda_published_at,
        "cancel_reason_code": panel.cancel_reason_code,
        "cancelled_at": panel.cancelled_at,
        "recording_ref": panel.recording_ref,
        "held_at": panel.held_at,
        "calendar_sequence": panel.calendar_sequence,
    }


def _item_values(panel_ref: str, position: int, item: AgendaItem) -> dict[str, Any]:
    return {
        "panel_ref": panel_ref,
        "position": position,
        "kind": item.kind.value,
        "minutes": item.minutes,
        "participant_ref": item.participant_ref,
        "service_ref": item.service_ref,
        "mode": item.mode.value if item.mode else None,
        "media_ref": item.media_ref,
    }


def _panel_from(row: Any, agenda: list[AgendaItem], alerts: list[Alert]) -> Panel:
    return Panel(
        ref=row.panel_ref,
        organisation=row.organisation,
        title=row.title,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        format=PanelFormat(row.format),
        themes=[FocusTheme(theme) for theme in row.themes],
        lead_ref=row.lead_ref,
        case_study_capacity=row.case_study_capacity,
        meeting_link=row.meeting_link,
        venue=row.venue,
        coordinator_refs=list(row.coordinator_refs),
        command_area_refs=list(row.command_area_refs),
        organisation_refs=list(row.organisation_refs),
        status=PanelStatus(row.status),
        agenda=agenda,
        agenda_published_at=row.agenda_published_at,
        cancel_reason_code=row.cancel_reason_code,
        cancelled_at=row.cancelled_at,
        recording_ref=row.recording_ref,
        held_at=row.held_at,
        calendar_sequence=row.calendar_sequence,
        alerts=alerts,
    )


class PoolRepository:
    """Consented victims available to panels."""

    def __init__(self, session: AsyncSession):
        self._session = session

    async def upsert(self, consent: Consent) -> None:
        values = {
            "participant_ref": consent.participant_ref,
            "mode": consent.mode.value,
            "themes": [theme.value for theme in consent.themes],
            "contact_route": consent.contact_route.value,
            "supporter_ref": consent.supporter_ref,
            "support_service_ref": consent.support_service_ref,
            "given_at": consent.given_at,
        }
        statement = insert(t.pool).values(values)
        await self._session.execute(
            statement.on_conflict_do_update(
                index_elements=["participant_ref"],
                set_={k: v for k, v in values.items() if k != "participant_ref"},
                # A consent given earlier (e.g. replayed) never overrides a later one.
                where=t.pool.c.given_at <= statement.excluded.given_at,
            )
        )

    async def remove(self, participant_ref: str) -> None:
        await self._session.execute(
            t.pool.delete().where(t.pool.c.participant_ref == participant_ref)
        )

    async def given_at(self, participant_ref: str) -> datetime | None:
        """When the consent in the pool was given (None: not in the pool)."""
        found: datetime | None = await self._session.scalar(
            sa.select(t.pool.c.given_at).where(t.pool.c.participant_ref == participant_ref)
        )
        return found

    async def barred_since(self, participant_ref: str) -> datetime | None:
        """The latest withdrawal or exclusion on record (None: neither)."""
        withdrawn = (
            sa.select(t.withdrawals.c.withdrawn_at)
            .where(t.withdrawals.c.participant_ref == participant_ref)
            .scalar_subquery()
        )
        excluded = (
            sa.select(t.exclusions.c.excluded_at)
            .where(t.exclusions.c.participant_ref == participant_ref)
            .scalar_subquery()
        )
        # GREATEST ignores NULLs: NULL only when there is neither.
        found: datetime | None = await self._session.scalar(
            sa.select(sa.func.greatest(withdrawn, excluded))
        )
        return found

    async def remember_withdrawal(self, participant_ref: str, withdrawn_at: datetime) -> None:
        await self._remember(t.withdrawals, "withdrawn_at", participant_ref, withdrawn_at)

    async def remember_exclusion(self, participant_ref: str, excluded_at: datetime) -> None:
        await self._remember(t.exclusions, "excluded_at", participant_ref, excluded_at)

    async def _remember(
        self, table: sa.Table, column: str, participant_ref: str, at: datetime
    ) -> None:
        """Keep the latest moment (a replayed older one never moves it back)."""
        statement = insert(table).values({"participant_ref": participant_ref, column: at})
        await self._session.execute(
            statement.on_conflict_do_update(
                index_elements=["participant_ref"],
                set_={column: sa.func.greatest(table.c[column], statement.excluded[column])},
            )
        )

    async def get_many(self, participant_refs: Iterable[str]) -> dict[str, Consent]:
        refs = list(participant_refs)
        if not refs:
            return {}
        rows = await self._session.execute(
            sa.select(t.pool).where(t.pool.c.participant_ref.in_(refs))
        )
        return {row.participant_ref: _consent_from(row) for row in rows}

    async def find(
        self, theme: FocusTheme | None, mode: ParticipationMode | None, limit: int
    ) -> list[Consent]:
        query = (
            sa.select(t.pool)
            .order_by(t.pool.c.given_at.desc(), t.pool.c.participant_ref)
            .limit(limit)
        )
        if theme is not None:
            query = query.where(t.pool.c.themes.contains([theme.value]))
        if mode is not None:
            query = query.where(t.pool.c.mode == mode.value)
        return [_consent_from(row) for row in await self._session.execute(query)]


def _consent_from(row: Any) -> Consent:
    return Consent(
        participant_ref=row.participant_ref,
        mode=ParticipationMode(row.mode),
        themes=tuple(FocusTheme(theme) for theme in row.themes),
        contact_route=ContactRoute(row.contact_route),
        supporter_ref=row.supporter_ref,
        support_service_ref=row.support_service_ref,
        given_at=row.given_at,
    )


class InvitationRepository:
    def __init__(self, session: AsyncSession):
        self._session = session

    async def add(self, invitation: Invitation) -> tuple[Invitation, bool]:
        """Store it unless this invitee already has one for the panel: (the invitation, new?)."""
        inserted = await self._session.scalar(
            insert(t.invitations)
            .values(
                invitation_ref=invitation.ref,
                panel_ref=invitation.panel_ref,
                invitee_key=invitation.invitee_key,
                kind=invitation.kind.value,
                participant_ref=invitation.participant_ref,
                contact_route=invitation.contact_route.value if invitation.contact_route else None,
                supporter_ref=invitation.supporter_ref,
                recipient_ref=invitation.recipient_ref,
                command_area_ref=invitation.command_area_ref,
                role=invitation.role,
                created_at=invitation.created_at,
            )
            .on_conflict_do_nothing(constraint="one_invitation_per_invitee")
            .returning(t.invitations.c.invitation_ref)
        )
        if inserted is not None:
            return invitation, True
        row = (
            await self._session.execute(
                sa.select(t.invitations).where(
                    t.invitations.c.panel_ref == invitation.panel_ref,
                    t.invitations.c.invitee_key == invitation.invitee_key,
                )
            )
        ).one()
        return _invitation_from(row), False

    async def for_panel(self, panel_ref: str) -> list[Invitation]:
        rows = await self._session.execute(
            sa.select(t.invitations)
            .where(t.invitations.c.panel_ref == panel_ref)
            .order_by(t.invitations.c.created_at, t.invitations.c.invitation_ref)
        )
        return [_invitation_from(row) for row in rows]

    async def get(self, panel_ref: str, invitation_ref: str) -> Invitation | None:
        row = (
            await self._session.execute(
                sa.select(t.invitations).where(
                    t.invitations.c.panel_ref == panel_ref,
                    t.invitations.c.invitation_ref == invitation_ref,
                )
            )
        ).first()
        return _invitation_from(row) if row is not None else None

    async def invited_participants(self, panel_ref: str) -> frozenset[str]:
        refs = await self._session.scalars(
            sa.select(t.invitations.c.participant_ref).where(
                t.invitations.c.panel_ref == panel_ref, t.invitations.c.participant_ref.is_not(None)
            )
        )
        return frozenset(ref for ref in refs if ref)

    async def remove_participant(
        self, participant_ref: str, panel_refs: Sequence[str] | None = None
    ) -> None:
        """The victim's invitations to these panels (None: to every panel)."""
        statement = t.invitations.delete().where(t.invitations.c.participant_ref == participant_ref)
        if panel_refs is not None:
            statement = statement.where(t.invitations.c.panel_ref.in_(panel_refs))
        await self._session.execute(statement)


def _invitation_from(row: Any) -> Invitation:
    return Invitation(
        ref=row.invitation_ref,
        panel_ref=row.panel_ref,
        kind=InviteeKind(row.kind),
        created_at=row.created_at,
        participant_ref=row.participant_ref,
        contact_route=ContactRoute(row.contact_route) if row.contact_route else None,
        supporter_ref=row.supporter_ref,
        recipient_ref=row.recipient_ref,
        command_area_ref=row.command_area_ref,
        role=row.role,
    )


class AttendanceRepository:
    """Registrations before the event and attendance after it, one row per (panel, attendee)."""

    def __init__(self, session: AsyncSession):
        self._session = session

    async def register(self, panel_ref: str, attendee: Attendee, now: datetime) -> bool:
        """True when this is a new registration; a repeat books nothing more."""
        inserted = await self._session.scalar(
            insert(t.registrations)
            .values(panel_ref=panel_ref, registered_at=now, **_attendee_values(attendee))
            .on_conflict_do_nothing()
            .returning(t.registrations.c.attendee_ref)
        )
        return inserted is not None

    async def registrations(self, panel_ref: str) -> list[Attendee]:
        return await self._attendees(t.registrations, panel_ref)

    async def record(self, panel_ref: str, attendees: Sequence[Attendee], now: datetime) -> None:
        """Attendance after the event; recording someone again keeps one row (the latest)."""
        if not attendees:
            return
        statement = insert(t.attendance).values(
            [{"panel_ref": panel_ref, "recorded_at": now, **_attendee_values(a)} for a in attendees]
        )
        await self._session.execute(
            statement.on_conflict_do_update(
                index_elements=["panel_ref", "attendee_ref"],
                set_={
                    name: statement.excluded[name]
                    for name in ("command_area_ref", "role", "organisation_ref", "recorded_at")
                },
            )
        )

    async def attendees(self, panel_ref: str) -> list[Attendee]:
        return await self._attendees(t.attendance, panel_ref)

    async def _attendees(self, table: sa.Table, panel_ref: str) -> list[Attendee]:
        rows = await self._session.execute(
            sa.select(table).where(table.c.panel_ref == panel_ref).order_by(table.c.attendee_ref)
        )
        return [
            Attendee(row.attendee_ref, row.command_area_ref, row.role, row.organisation_ref)
            for row in rows
        ]


def _attendee_values(attendee: Attendee) -> dict[str, str | None]:
    return {
        "attendee_ref": attendee.attendee_ref,
        "command_area_ref": attendee.command_area_ref,
        "role": attendee.role,
        "organisation_ref": attendee.organisation_ref,
    }


class IdempotencyKeys:
    def __init__(self, session: AsyncSession):
        self._session = session

    async def earlier(self, actor: str, key: str) -> tuple[str, str | None] | None:
        """(panel made, fingerprint of the request that made it) when this key was used."""
        row = (
            await self._session.execute(
                sa.select(
                    t.idempotency_keys.c.panel_ref, t.idempotency_keys.c.request_fingerprint
                ).where(t.idempotency_keys.c.actor == actor, t.idempotency_keys.c.key == key)
            )
        ).first()
        return (row.panel_ref, row.request_fingerprint) if row is not None else None

    async def remember(self, actor: str, key: str, panel_ref: str, fingerprint: str) -> None:
        await self._session.execute(
            t.idempotency_keys.insert().values(
                actor=actor, key=key, panel_ref=panel_ref, request_fingerprint=fingerprint
            )
        )
