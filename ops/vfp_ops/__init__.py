"""`vfp`: the operators' command line — run the platform, watch it, replay dead letters."""
