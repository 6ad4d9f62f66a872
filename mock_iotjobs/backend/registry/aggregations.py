"""Fleet-indexing aggregations over the things a query matches.

GetStatistics, GetCardinality, GetPercentiles and GetBucketsAggregation work
on one indexed field: a managed field or a custom field declared in the
indexing configuration (InvalidAggregationException otherwise).  Numeric
statistics and percentiles need a Number field; on a String or Boolean field
GetStatistics answers only ``count``, as the API reference says.
"""

from __future__ import annotations

import math
from typing import Any, Dict, List, Optional, Sequence, Set

from ...protocol.errors import ServiceError
from .indexing import THINGS_INDEX, FleetIndex
from .search_index import as_number

DEFAULT_PERCENTS = (1.0, 5.0, 25.0, 50.0, 75.0, 95.0, 99.0)
DEFAULT_MAX_BUCKETS = 10


def _invalid(message: str) -> ServiceError:
    return ServiceError("InvalidAggregationException", message)


class Aggregations:
    def __init__(self, index: FleetIndex, index_name: str, query: str, field: Optional[str]) -> None:
        index.require(index_name)
        if index_name != THINGS_INDEX:
            # Aggregations are documented for the AWS_Things index.
            raise _invalid(f"Aggregation is not supported on index {index_name}.")
        self._index = index
        self.names: Set[str] = index.search_things(query)
        self.field = field or "thingName"
        self.kind = index.field_type(index_name, self.field)
        if self.kind is None:
            raise _invalid(f"Field {self.field} is not indexed: declare it as a custom field to aggregate on it.")
        self._field = {"thingTypeName": "registry.thingTypeName", "thingGroupNames": "registry.thingGroupNames"}.get(
            self.field, self.field
        )

    def _values(self) -> List[str]:
        docs = self._index.things.docs
        return [v for name in self.names for v in docs.get(name, {}).get(self._field, [])]

    def _numbers(self) -> List[float]:
        if self.kind != "Number":
            raise _invalid(f"Field {self.field} is of type {self.kind}; this aggregation needs a Number field.")
        return [n for n in (as_number(v) for v in self._values()) if n is not None]

    def statistics(self) -> Dict[str, Any]:
        if self.kind != "Number":
            return {"count": len(self._values())}
        numbers = self._numbers()
        if not numbers:
            return {"count": 0}
        count, total = len(numbers), math.fsum(numbers)
        squares = math.fsum(n * n for n in numbers)
        mean = total / count
        variance = max(squares / count - mean * mean, 0.0)
        return {
            "count": count,
            "average": mean,
            "sum": total,
            "minimum": min(numbers),
            "maximum": max(numbers),
            "sumOfSquares": squares,
            "variance": variance,
            "stdDeviation": math.sqrt(variance),
        }

    def cardinality(self) -> int:
        return len({v.lower() for v in self._values()})

    def percentiles(self, percents: Optional[Sequence[float]]) -> List[Dict[str, float]]:
        numbers = sorted(self._numbers())
        wanted = list(percents) if percents else list(DEFAULT_PERCENTS)
        if not numbers:
            return []
        return [{"percent": p, "value": _percentile(numbers, p)} for p in wanted]

    def buckets(self, max_buckets: Optional[int]) -> Dict[str, Any]:
        counts: Dict[str, int] = {}
        docs = self._index.things.docs
        for name in self.names:
            for value in docs.get(name, {}).get(self._field, []):
                counts[value] = counts.get(value, 0) + 1
        ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[: max_buckets or DEFAULT_MAX_BUCKETS]
        return {"totalCount": len(self.names), "buckets": [{"keyValue": k, "count": c} for k, c in ordered]}


def _percentile(ordered: List[float], percent: float) -> float:
    """Linear interpolation between closest ranks."""
    if len(ordered) == 1:
        return ordered[0]
    rank = percent / 100.0 * (len(ordered) - 1)
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)
