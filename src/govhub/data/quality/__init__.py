"""Quality assessment of dataset versions on the dimensions of GB/T 36344.

`parse_rules` reads a rule document (YAML or JSON), `assess_files` runs it with DuckDB over a
dataset version's Parquet files, and `service` keeps each resource's rules and the assessments
of its versions. The rule contract is documented in `rules`, scoring in `scoring`.
"""

from govhub.data.quality.engine import Assessment, CheckResult, assess_files
from govhub.data.quality.rules import RuleSet, parse_rules
from govhub.data.quality.tableschema import from_table_schema, to_table_schema

__all__ = [
    "Assessment",
    "CheckResult",
    "RuleSet",
    "assess_files",
    "from_table_schema",
    "parse_rules",
    "to_table_schema",
]
