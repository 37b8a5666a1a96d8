"""Who takes part in one run besides the victims: staff, command areas, partners, teams.
Every ref carries the run's prefix, so one run's people never meet another's."""

from dataclasses import dataclass

from vfp_ops.simulator.feed import COMMAND_AREAS


@dataclass(frozen=True)
class Cast:
    prefix: str  # sim-<run>
    organisation: str

    @classmethod
    def of_run(cls, run_id: str, organisation: str | None) -> "Cast":
        # Default: a force per run, so panels never clash.
        return cls(f"sim-{run_id}", organisation or f"force-{run_id}")

    def ref(self, name: str) -> str:
        return f"{self.prefix}-{name}"

    @property
    def coordinator(self) -> str:
        return self.ref("coordinator")

    @property
    def lead(self) -> str:
        return self.ref("di-lead")

    @property
    def board(self) -> str:
        return self.ref("acc-board")

    @property
    def staff(self) -> list[str]:
        return [self.ref(f"staff-{i:02d}") for i in range(1, 7)]

    @property
    def areas(self) -> list[str]:
        return [self.ref(f"area-{a}") for a in COMMAND_AREAS]

    @property
    def cps(self) -> str:
        return self.ref("cps-east")

    @property
    def partners(self) -> list[str]:
        return [self.ref("partner-idva"), self.ref("partner-council-asb")]

    @property
    def team(self) -> str:
        return self.ref("team-north-safeguarding")

    @property
    def line_manager(self) -> str:
        return self.ref("sgt-line-manager")

    @property
    def training(self) -> str:
        return self.ref("learning-development")

    @property
    def media(self) -> str:
        return self.ref("corporate-comms")
