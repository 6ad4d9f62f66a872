"""Fleet indexing operations: configuration, indexes, SearchIndex and aggregations."""

from __future__ import annotations

import heapq

from ...backend.paging import decode_token, encode_token, paginate
from ...backend.registry.aggregations import Aggregations
from ...backend.registry.indexing import GROUPS_INDEX, THINGS_INDEX
from ...protocol.errors import invalid_request, not_found
from ...protocol.models import IOT
from ..base import Context, Params, Result, compact, operation

# SearchIndex pages: AWS's default and ceiling.
SEARCH_PAGE = 500


@operation(IOT, "GetIndexingConfiguration")
def get_indexing_configuration(ctx: Context, p: Params) -> Result:
    return ctx.backend.indexing.describe_configuration()


@operation(IOT, "UpdateIndexingConfiguration")
def update_indexing_configuration(ctx: Context, p: Params) -> Result:
    ctx.backend.indexing.update_configuration(
        p.get("thingIndexingConfiguration"), p.get("thingGroupIndexingConfiguration")
    )
    return {}


@operation(IOT, "DescribeIndex")
def describe_index(ctx: Context, p: Params) -> Result:
    index = ctx.backend.indexing
    name = p["indexName"]
    if name not in index.index_names():
        raise not_found(f"Index {name} does not exist.")
    return {"indexName": name, "indexStatus": "ACTIVE", "schema": index.schema(name)}


@operation(IOT, "ListIndices")
def list_indices(ctx: Context, p: Params) -> Result:
    names = ctx.backend.indexing.index_names()
    keyed = list(enumerate(names))
    page, token = paginate(keyed, lambda e: e[0], p.get("maxResults"), p.get("nextToken"), "ListIndices", 500)
    return compact(indexNames=[name for _, name in page], nextToken=token)


@operation(IOT, "SearchIndex")
def search_index(ctx: Context, p: Params) -> Result:
    backend = ctx.backend
    index = backend.indexing
    name = p.get("indexName") or THINGS_INDEX
    _check_version(p)
    if name not in (THINGS_INDEX, GROUPS_INDEX):
        raise not_found(f"Index {name} does not exist.")
    index.require(name)
    size = min(p.get("maxResults") or SEARCH_PAGE, SEARCH_PAGE)
    if name == GROUPS_INDEX:
        groups = sorted(
            (backend.groups.by_name[g] for g in index.search_groups(p["queryString"])), key=lambda g: g.seq
        )
        group_page, token = paginate(
            groups, lambda g: g.seq, size, p.get("nextToken"), f"SearchIndex:{name}:{p['queryString']}", SEARCH_PAGE
        )
        return compact(thingGroups=[index.group_result(g.name) for g in group_page], nextToken=token, things=[])
    # Only the page is sorted: a query matching much of a large fleet costs what
    # its result set costs, not a sort of it.
    order = index.things.order
    scope = f"SearchIndex:{name}:{p['queryString']}"
    after = decode_token(scope, p["nextToken"]) if p.get("nextToken") else -1
    found = [(order[n], n) for n in index.search_things(p["queryString"])]
    page = heapq.nsmallest(size + 1, (entry for entry in found if entry[0] > after))
    token = encode_token(scope, page[size - 1][0]) if len(page) > size else None
    return compact(things=[index.thing_result(n) for _, n in page[:size]], nextToken=token, thingGroups=[])


def _check_version(p: Params) -> None:
    version = p.get("queryVersion")
    if version is not None and version != "2017-09-30":
        raise invalid_request(f"Query version {version} is not supported; the supported version is 2017-09-30.")


def _aggregations(ctx: Context, p: Params) -> Aggregations:
    _check_version(p)
    name = p.get("indexName") or THINGS_INDEX
    if name not in (THINGS_INDEX, GROUPS_INDEX):
        raise not_found(f"Index {name} does not exist.")
    return Aggregations(ctx.backend.indexing, name, p["queryString"], p.get("aggregationField"))


@operation(IOT, "GetStatistics")
def get_statistics(ctx: Context, p: Params) -> Result:
    return {"statistics": _aggregations(ctx, p).statistics()}


@operation(IOT, "GetCardinality")
def get_cardinality(ctx: Context, p: Params) -> Result:
    return {"cardinality": _aggregations(ctx, p).cardinality()}


@operation(IOT, "GetPercentiles")
def get_percentiles(ctx: Context, p: Params) -> Result:
    return {"percentiles": _aggregations(ctx, p).percentiles(p.get("percents"))}


@operation(IOT, "GetBucketsAggregation")
def get_buckets_aggregation(ctx: Context, p: Params) -> Result:
    terms = (p.get("bucketsAggregationType") or {}).get("termsAggregation") or {}
    return _aggregations(ctx, p).buckets(terms.get("maxBuckets"))
