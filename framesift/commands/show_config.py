"""`framesift config JOB [--config FILE] [--set k=v ...]`: validate and print the resolved config."""
from framesift.config import JOBS, config_hash, config_to_yaml, load_config


def add_config_arguments(parser, job_default=None):
    """The --config/--set pair every job command takes."""
    parser.add_argument("--config", metavar="FILE", help="YAML config (default: configs/<job>.yaml)")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="override one config value, e.g. --set filters.sharpness.min=80 (repeatable)")


def add_arguments(parser):
    parser.add_argument("job", choices=sorted(JOBS), help="which job's config")
    add_config_arguments(parser)


def run(args, extra):
    cfg = load_config(args.job, args.config, args.overrides)
    if args.job == "curate":
        # filter parameters are validated by each filter's own Params (pipelines/filters)
        from pipelines.filters import curate_filters
        curate_filters(cfg)
    print(f"# {args.job} config, hash {config_hash(cfg)}")
    print(config_to_yaml(cfg), end="")
    return 0
