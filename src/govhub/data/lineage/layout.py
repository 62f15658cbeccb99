"""A layered left-to-right layout of a lineage graph (the idea of dagre, in a few lines).

Layers come from the longest path from the graph's sources (cycles are broken at the node met
first by its walk depth); rows inside a layer are ordered by the barycenter of their
predecessors, then of their successors, which keeps most edges short and uncrossed.
"""

from __future__ import annotations

from collections import defaultdict

from govhub.data.lineage.schemas import LineageEdge, LineageNode


def _layers(nodes: list[LineageNode], edges: list[LineageEdge]) -> dict[str, int]:
    preds: dict[str, set[str]] = defaultdict(set)
    succs: dict[str, set[str]] = defaultdict(set)
    for edge in edges:
        if edge.source != edge.target:
            preds[edge.target].add(edge.source)
            succs[edge.source].add(edge.target)
    pending = {node.id: len(preds[node.id]) for node in nodes}
    hint = {node.id: (node.depth, node.id) for node in nodes}
    layer: dict[str, int] = {}
    ready = sorted((n for n, count in pending.items() if count == 0), key=hint.__getitem__)
    while len(layer) < len(nodes):
        if not ready:  # a cycle: start again from its earliest node
            ready = [min((n for n in pending if n not in layer), key=hint.__getitem__)]
        current = ready.pop(0)
        if current in layer:
            continue
        placed = [layer[p] + 1 for p in preds[current] if p in layer]
        layer[current] = max(placed, default=0)
        for nxt in sorted(succs[current], key=hint.__getitem__):
            pending[nxt] -= 1
            if pending[nxt] == 0 and nxt not in layer:
                ready.append(nxt)
    return layer


def lay_out(nodes: list[LineageNode], edges: list[LineageEdge]) -> None:
    """Set `layer` and `order` of every node in place."""
    layer = _layers(nodes, edges)
    by_layer: dict[int, list[LineageNode]] = defaultdict(list)
    for node in sorted(nodes, key=lambda n: (n.depth, n.kind.value, n.label, n.id)):
        node.layer = layer[node.id]
        by_layer[node.layer].append(node)
    position = {n.id: i for members in by_layer.values() for i, n in enumerate(members)}
    preds: dict[str, list[str]] = defaultdict(list)
    succs: dict[str, list[str]] = defaultdict(list)
    for edge in edges:
        preds[edge.target].append(edge.source)
        succs[edge.source].append(edge.target)
    for neighbours, layers in ((preds, sorted(by_layer)), (succs, sorted(by_layer, reverse=True))):
        for number in layers:
            members = by_layer[number]

            def centre(node: LineageNode, near: dict[str, list[str]] = neighbours) -> float:
                around = [position[m] for m in near[node.id] if m in position]
                return sum(around) / len(around) if around else float(position[node.id])

            members.sort(key=lambda n: (centre(n), position[n.id]))
            for index, node in enumerate(members):
                position[node.id] = index
    for node in nodes:
        node.order = position[node.id]
