"""Export a run as an OpenLineage `RunEvent` (spec 2-0-2), the JSON lineage tools exchange.

The run is the caller's view (`views.get_run`), so restricted inputs stay opaque here too.
Datasets are named `datasets/<resource id>/v<version>` in the platform's namespace; files by
digest in the `file` namespace; tables and APIs by their URL without credentials.
"""

from __future__ import annotations

from typing import Any

from govhub import __version__
from govhub.data.lineage.schemas import NodeKind, RunEntity, RunRead

SPEC = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"
COLUMN_FACET = "https://openlineage.io/spec/facets/1-2-0/ColumnLineageDatasetFacet.json"
PRODUCER = f"https://github.com/govhub/govhub/tree/v{__version__}"


def dataset_ref(entity: RunEntity, namespace: str) -> tuple[str, str]:
    """Return the OpenLineage (namespace, name) of a run's input or output."""
    if entity.restricted:
        return namespace, entity.id
    if entity.kind is NodeKind.DATASET:
        return namespace, f"datasets/{entity.resource_id}/v{entity.version}"
    if entity.kind is NodeKind.FILE:
        return "file", entity.digest or entity.id
    if entity.kind is NodeKind.DATABASE and entity.digest and "#" in entity.digest:
        url, table = entity.digest.rsplit("#", 1)
        return url, table
    return entity.digest or namespace, entity.label or entity.id


def to_run_event(run: RunRead, *, namespace: str) -> dict[str, Any]:
    """Return the run as an OpenLineage COMPLETE RunEvent."""
    refs = {e.id: dataset_ref(e, namespace) for e in (*run.inputs, *run.outputs)}
    fields: dict[str, dict[str, dict[str, Any]]] = {}
    for edge in run.columns:
        ns, name = refs[edge.input_entity]
        transformation = {
            "type": "DIRECT",
            "subtype": "TRANSFORMATION" if edge.expression else "IDENTITY",
            **({"description": edge.expression} if edge.expression else {}),
        }
        target = fields.setdefault(edge.output_entity, {}).setdefault(
            edge.output_column, {"inputFields": []}
        )
        target["inputFields"].append(
            {
                "namespace": ns,
                "name": name,
                "field": edge.input_column,
                "transformations": [transformation],
            }
        )

    def dataset(entity: RunEntity, *, output: bool) -> dict[str, Any]:
        ns, name = refs[entity.id]
        facets: dict[str, Any] = {}
        if output and entity.id in fields:
            facets["columnLineage"] = {
                "_producer": PRODUCER,
                "_schemaURL": COLUMN_FACET,
                "fields": fields[entity.id],
            }
        return {"namespace": ns, "name": name, "facets": facets}

    return {
        "eventType": "COMPLETE",
        "eventTime": run.created_at.isoformat().replace("+00:00", "Z"),
        "producer": PRODUCER,
        "schemaURL": SPEC,
        "run": {"runId": str(run.id), "facets": {}},
        "job": {"namespace": namespace, "name": f"govhub.{run.kind}", "facets": {}},
        "inputs": [dataset(e, output=False) for e in run.inputs],
        "outputs": [dataset(e, output=True) for e in run.outputs],
    }
