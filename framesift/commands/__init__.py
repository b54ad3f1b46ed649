"""Subcommands that belong to the core (each module: add_arguments(parser), run(args, extra_argv))."""
