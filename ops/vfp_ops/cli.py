"""The `vfp` command. Each group of commands lives in its own module and is added here."""

import typer

from vfp_ops.dead_letters import dead_letters_app
from vfp_ops.lag import lag
from vfp_ops.outbox import outbox_app
from vfp_ops.run import demo, run
from vfp_ops.simulator.commands import register as register_simulator
from vfp_ops.status import status

app = typer.Typer(
    name="vfp",
    help="Victim Feedback Panel platform: run it, watch it, and mend it.",
    no_args_is_help=True,
    rich_markup_mode="rich",
)

# Command groups register themselves below (one line each).
app.command()(run)
app.command()(demo)
app.command()(status)
app.command()(lag)
app.add_typer(outbox_app)
app.add_typer(dead_letters_app)
register_simulator(app)  # vfp simulate, vfp cycle
