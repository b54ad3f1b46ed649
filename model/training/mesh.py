"""Devices: multi-host start-up, the data-parallel mesh, and how arrays are laid out on it.

One mesh axis, "data". Batches are split over it; parameters (and the optimizer state and EMA) are replicated, or
with fsdp=True each is split along its largest dimension that divides evenly (ZeRO-3 style: XLA gathers them for
the forward pass and reduce-scatters the gradients).
"""
from __future__ import annotations

import os

import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec as P

_MULTI_HOST_ENV = ("JAX_COORDINATOR_ADDRESS", "SLURM_NTASKS", "OMPI_COMM_WORLD_SIZE", "MEGASCALE_NUM_SLICES")


def maybe_initialize_distributed() -> bool:
    """jax.distributed.initialize() when the environment describes a multi-process job: explicit
    JAX_COORDINATOR_ADDRESS (+ JAX_NUM_PROCESSES, JAX_PROCESS_ID), SLURM or Open MPI with more than one task, or a
    multi-slice TPU. Must run before anything touches a device."""
    env = os.environ
    explicit = env.get("JAX_COORDINATOR_ADDRESS")
    cluster = int(env.get("SLURM_NTASKS", "1")) > 1 or int(env.get("OMPI_COMM_WORLD_SIZE", "1")) > 1 or \
        "MEGASCALE_NUM_SLICES" in env
    if not explicit and not cluster:
        return False
    if jax.distributed.is_initialized():
        return True
    if explicit:
        jax.distributed.initialize(coordinator_address=explicit,
                                   num_processes=int(env["JAX_NUM_PROCESSES"]) if "JAX_NUM_PROCESSES" in env else None,
                                   process_id=int(env["JAX_PROCESS_ID"]) if "JAX_PROCESS_ID" in env else None)
    else:
        jax.distributed.initialize()   # auto-detects SLURM / Open MPI / TPU
    return True


def make_mesh() -> Mesh:
    return Mesh(np.asarray(jax.devices()), ("data",))


def batch_sharding(mesh: Mesh) -> NamedSharding:
    return NamedSharding(mesh, P("data"))


def replicated(mesh: Mesh) -> NamedSharding:
    return NamedSharding(mesh, P())


def param_sharding(mesh: Mesh, leaf, fsdp: bool) -> NamedSharding:
    n = mesh.shape["data"]
    shape = getattr(leaf, "shape", ())
    if not fsdp or n == 1 or not shape:
        return replicated(mesh)
    for dim in sorted(range(len(shape)), key=lambda d: -shape[d]):
        if shape[dim] % n == 0:
            spec = [None] * len(shape)
            spec[dim] = "data"
            return NamedSharding(mesh, P(*spec))
    return replicated(mesh)


def tree_shardings(mesh: Mesh, tree, fsdp: bool):
    return jax.tree.map(lambda leaf: param_sharding(mesh, leaf, fsdp), tree)


def global_batch(local: dict, sharding: NamedSharding) -> dict:
    """This process's rows -> one global array per field, split over the mesh."""
    return {k: jax.make_array_from_process_local_data(sharding, np.asarray(v)) for k, v in local.items()}
