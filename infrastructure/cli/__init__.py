"""The ``memesnipe`` command line (typer + rich)."""
