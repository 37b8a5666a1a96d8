from vfp_notifications.adapters.tables import metadata
from vfp_shared.storage.migrations import run_env

run_env(metadata)
