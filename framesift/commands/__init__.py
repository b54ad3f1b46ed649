"""The CLI layer: one thin adapter per subcommand (add_arguments(parser), run(args, extra_argv) -> int), registered
in framesift/cli.py. Adapters parse flags, call into pipelines/, curation_ui/ or model/ (imported inside `run`, so
`framesift --help` loads none of them) and print; the work itself lives in those packages."""
