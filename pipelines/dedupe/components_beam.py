"""Connected components of an edge PCollection inside the Beam job: large-star / small-star (Kiveris et al.,
"Connected Components in MapReduce and Beyond", SoCC 2014), with no worker ever holding more than one node's
neighbourhood, and that only as a re-iterable grouped value (two passes: find the minimum, then emit).

  large-star(u): m = min(N(u) + {u}); connect every neighbour v > u to m
  small-star(u): N = neighbours <= u;  m = min(N + {u}); connect every v in N + {u}, v != m, to m

Both keep connectivity and shrink every component towards a star around its smallest node. Beam batch graphs cannot
loop until converged, so `rounds` (large + small star each) are unrolled in the graph. The paper bounds the rounds
by O(log^2 n) and observes about log n; 20 rounds is ample for any real dedupe graph, and a star forest is a fixed
point, so spare rounds change nothing. Whether the result did converge is computed, not assumed: the `converged`
output is one bool (the final edges form stars: each node has at most one parent, and no parent has a parent), and
the `strict` option fails the job instead of writing wrong groups.

Nodes can be any totally ordered, hashable, picklable values (str, int, tuples of those) of one type.
"""
from __future__ import annotations

import apache_beam as beam
from apache_beam.metrics import Metrics

NAMESPACE = "dedupe"
DEFAULT_ROUNDS = 20


class NotConvergedError(RuntimeError):
    pass


def _large_star(element):
    u, neighbours = element
    m = min(min(neighbours), u)                 # first pass over the (re-iterable) group
    for v in neighbours:                        # second pass
        if v > u:
            yield v, m


def _small_star(element):
    u, smaller = element
    m = min(min(smaller), u)
    for v in smaller:
        if v != m:
            yield v, m
    if u != m:
        yield u, m


def _check_star(element):
    """(node, {"parent": [...], "child": [...]}) -> True when the node is a leaf with one parent or a root."""
    node, roles = element
    parents = list(roles["parent"])
    is_parent = any(True for _ in roles["child"])
    return (len(parents) <= 1) and not (parents and is_parent)


class _FailIfNotConverged(beam.DoFn):
    def __init__(self, rounds: int):
        self.rounds = rounds

    def process(self, converged):
        if not converged:
            Metrics.counter(NAMESPACE, "components_not_converged").inc()
            raise NotConvergedError(f"connected components did not converge in {self.rounds} rounds; "
                                    f"raise dedupe.cc_iterations")
        yield converged


class ConnectedComponents(beam.PTransform):
    """Edges (a, b) -> {"labels": (node, smallest node of its component) for every node in an edge,
    "converged": a single bool}. Self-loops (a, a) are allowed: they put a node in the output on its own."""

    def __init__(self, rounds: int = DEFAULT_ROUNDS, strict: bool = False):
        super().__init__()
        if rounds < 1:
            raise ValueError(f"connected components need at least one round, got {rounds}")
        self.rounds, self.strict = rounds, strict

    def expand(self, edges):
        nodes = (edges | "Endpoints" >> beam.FlatMap(lambda e: (e[0], e[1]))
                 | "DistinctNodes" >> beam.Distinct())
        # directed child -> parent edges with parent < child, as both steps produce
        current = (edges | "DropSelfLoops" >> beam.Filter(lambda e: e[0] != e[1])
                   | "Orient" >> beam.Map(lambda e: (max(e), min(e))))
        for r in range(self.rounds):
            current = (current
                       | f"LargeStar{r}Both" >> beam.FlatMap(lambda e: ((e[0], e[1]), (e[1], e[0])))
                       | f"LargeStar{r}Group" >> beam.GroupByKey()
                       | f"LargeStar{r}" >> beam.FlatMap(_large_star)
                       | f"LargeStar{r}Distinct" >> beam.Distinct()
                       | f"SmallStar{r}Group" >> beam.GroupByKey()
                       | f"SmallStar{r}" >> beam.FlatMap(_small_star)
                       | f"SmallStar{r}Distinct" >> beam.Distinct())
        parents = current          # (child, root) once converged
        labels = ({"node": nodes | "KeyNodes" >> beam.Map(lambda n: (n, None)), "parent": parents}
                  | "JoinParents" >> beam.CoGroupByKey()
                  | "Label" >> beam.Map(lambda kv: (kv[0], min(list(kv[1]["parent"]) or [kv[0]]))))
        star_ok = ({"parent": parents, "child": parents | "ByParent" >> beam.Map(lambda e: (e[1], e[0]))}
                   | "Roles" >> beam.CoGroupByKey()
                   | "IsStar" >> beam.Map(_check_star))
        converged = star_ok | "Converged" >> beam.CombineGlobally(all)
        if self.strict:
            converged = converged | "FailIfNotConverged" >> beam.ParDo(_FailIfNotConverged(self.rounds))
        return {"labels": labels, "converged": converged}
