"""`framesift shards verify SHARDS` and `framesift shards inspect SHARDS [--grid FILE]`: check a latent dataset
whole (checksums, every record decodes, counts, schema) or look into it (summary + grid of decoded latents)."""
from __future__ import annotations


def add_arguments(parser):
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    verify = sub.add_parser("verify", help="checksums, every record decodes, counts and schema; exit 1 on a problem")
    verify.add_argument("shards", metavar="SHARDS", help="latent dataset directory (local or gs://)")
    inspect = sub.add_parser("inspect", help="summary and a grid of latents decoded back to pixels")
    inspect.add_argument("shards", metavar="SHARDS", help="latent dataset directory (local or gs://)")
    inspect.add_argument("--grid", default="shards_grid.png", metavar="PNG",
                         help="where the grid goes, local or gs:// (default: shards_grid.png)")
    inspect.add_argument("--count", type=int, default=16, help="examples in the grid (default 16)")
    inspect.add_argument("--autoencoder", metavar="CKPT",
                         help="decode with this checkpoint, local or gs:// (default: the one recorded in the "
                              "metadata)")


def run(args, extra, loader: str = None):
    from framesift.errors import UsageError
    from pipelines.encode import dataset_files as files
    from pipelines.encode.autoencoder_handler import DEFAULT_LOADER

    if not files.exists(f"{args.shards.rstrip('/')}/dataset_info.json"):
        raise UsageError(f"framesift shards: {args.shards} is not a latent dataset (no dataset_info.json)")
    if args.action == "verify":
        from pipelines.encode.verify import verify_shards
        problems, facts = verify_shards(args.shards)
        for problem in problems:
            print(f"FAIL {problem}")
        state = "OK" if not problems else f"{len(problems)} problem(s)"
        print(f"shards verify: {state}: {facts.get('records_decoded', 0):,} of {facts.get('examples', 0):,} records "
              f"decoded in {facts.get('shards', 0)} shard(s)")
        return 0 if not problems else 1
    from pipelines.encode.inspect_shards import latent_grid, load_decoder, read_examples, summary
    print(summary(args.shards))
    from framesift.commands.remote_paths import local_input, local_output
    ae, why_not = load_decoder(args.shards, local_input(args.autoencoder), loader or DEFAULT_LOADER)
    if why_not:
        print(f"  note: {why_not}")
    with local_output(args.grid) as grid:
        latent_grid(read_examples(args.shards, args.count), ae).save(grid)
    print(f"grid of {args.count} examples ({'decoded | ' if ae else ''}latent channels) -> {args.grid}")
    return 0
