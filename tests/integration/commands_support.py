"""What the command tests (resources and executions) both use: a JSON payload and
the parameters of the dynamic command whose template they render."""

from __future__ import annotations

JSON_PAYLOAD = {"content": b'{"action":"unlock"}', "contentType": "application/json"}
PARAMETERS = [
    {"name": "action", "type": "STRING", "defaultValue": {"S": "unlock"}},
    {
        "name": "seconds",
        "type": "INTEGER",
        "valueConditions": [{"comparisonOperator": "IN_RANGE", "operand": {"numberRange": {"min": "1", "max": "60"}}}],
    },
]
