"""The `framesift` command. Subcommands register here by name; their code is imported only when they run, so
`framesift --help` stays fast and the core never imports Beam, JAX or Streamlit for nothing."""
from __future__ import annotations

import argparse
import importlib
import logging
import sys
from dataclasses import dataclass
from typing import Callable, Optional

from framesift.commands.gcs_credentials import check_gcs_credentials
from framesift.config import ConfigError
from framesift.errors import UsageError


class _Parser(argparse.ArgumentParser):
    # argparse prints the whole usage block before its error; one line is easier to read in a CI log.
    def error(self, message):
        raise UsageError(f"{self.prog}: {message} (see --help)")


@dataclass
class Command:
    name: str
    help: str
    module: str                     # module with add_arguments(parser) and run(args, extra_argv) -> int
    passthrough: bool = False       # unknown flags go to the job (Beam pipeline options) instead of failing


COMMANDS = [
    Command("demo-data", "build the bundled demo corpus (real photos and clips + planted defects)",
            "framesift.commands.demo_data"),
    Command("curate", "run the curation pipeline (Beam) from raw media to a manifest",
            "framesift.commands.curate", passthrough=True),
    Command("rethreshold", "re-apply changed thresholds to a finished run, without recomputing scores",
            "framesift.commands.rethreshold"),
    Command("encode", "encode the approved set with an autoencoder into latent shards (Beam; TFDS ArrayRecord)",
            "framesift.commands.encode", passthrough=True),
    Command("shards", "check (verify) or look into (inspect) a latent shard dataset", "framesift.commands.shards"),
    Command("train", "train (or resume) the diffusion transformer on latent shards", "framesift.commands.train"),
    Command("sample", "sample a trained diffusion transformer to a grid (and mp4s for clips)",
            "framesift.commands.sample"),
    Command("demo", "build the demo corpus and run every stage on it", "framesift.commands.demo",
            passthrough=True),
    Command("config", "print a job's resolved config (after --config and --set)", "framesift.commands.show_config"),
    Command("review", "review a run in the browser (Streamlit UI): decisions, duplicates, stats, feedback",
            "framesift.commands.review"),
    Command("export", "write the approved set (pipeline + review decisions) with provenance",
            "framesift.commands.export"),
    Command("convert-vae", "convert a diffusers VAE folder (SD, SDXL, SD3, FLUX, Wan 2.1) to a framesift checkpoint",
            "framesift.commands.convert_vae"),
    Command("train-autoencoder", "train or fine-tune a KL autoencoder on an approved set (JAX)",
            "framesift.commands.train_autoencoder"),
]


def build_parser() -> tuple[argparse.ArgumentParser, dict[str, Command]]:
    parser = _Parser(prog="framesift", description="Curate images and videos into training shards.")
    from framesift import __version__
    parser.add_argument("--version", action="version", version=f"framesift {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    by_name = {}
    for cmd in COMMANDS:
        p = sub.add_parser(cmd.name, help=cmd.help, description=cmd.help)
        importlib.import_module(cmd.module).add_arguments(p)
        by_name[cmd.name] = cmd
    return parser, by_name


class _QuietKnownNoise(logging.Filter):
    # Beam warns about optional GCP client libraries on every import, and about extra DoFn outputs that have no
    # type hints; neither is actionable.
    NOISE = ("apitools not found", "requested in with_outputs() but not declared in type hints")

    def filter(self, record):
        return not any(n in record.getMessage() for n in self.NOISE)


def main(argv: Optional[list[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    for handler in logging.getLogger().handlers:
        handler.addFilter(_QuietKnownNoise())
    # local worker processes relay their start-up warnings through this logger; errors still show
    logging.getLogger("apache_beam.runners.portability.local_job_service").setLevel(logging.ERROR)
    try:
        parser, commands = build_parser()
        if not argv:
            parser.print_help()
            return 2
        args, extra = parser.parse_known_args(argv)
        cmd = commands.get(args.command)
        if cmd is None:
            raise UsageError("framesift: choose a command (see --help)")
        if extra and not cmd.passthrough:
            raise UsageError(f"framesift {cmd.name}: unrecognized arguments: {' '.join(extra)} (see --help)")
        check_gcs_credentials(extra + [str(v) for v in vars(args).values()])
        run: Callable[..., int] = importlib.import_module(cmd.module).run
        return int(run(args, extra) or 0)
    except (UsageError, ConfigError, FileNotFoundError, FileExistsError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
