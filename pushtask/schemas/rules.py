"""Rules between fields, written as JSON Schema for the OpenAPI document (issue 20).

Kept apart from pushtask.schemas so the document's conditional rules can be read in one place.
Each mirrors a check of the service, so a request the document calls valid is not refused.
"""

from __future__ import annotations

from typing import Any

# pushtask.domain.recurrence.validate, for a recurring schedule: a frequency is required; weekdays
# (1–7) only with weekly, a day of the month only with monthly. A one-off schedule ignores them.
RECURRING_RULES: dict[str, Any] = {
    "if": {"required": ["type"], "properties": {"type": {"const": "recurring"}}},
    "then": {
        "required": ["recurringInterval"],
        "properties": {"recurringInterval": {"type": "string"}},
        "allOf": [
            {
                "if": {"required": ["weekdays"], "properties": {"weekdays": {"type": "array", "minItems": 1}}},
                "then": {
                    "properties": {
                        "recurringInterval": {"const": "weekly"},
                        "weekdays": {"items": {"minimum": 1, "maximum": 7}},
                    }
                },
            },
            {
                "if": {"required": ["monthDay"], "properties": {"monthDay": {"type": "integer"}}},
                "then": {"properties": {"recurringInterval": {"const": "monthly"}}},
            },
        ],
    },
}

# A group tag a task picks groups by (pushtask.services.group_tags.normalise refuses control characters).
TAG_PATTERN = r"^[^\x00-\x1f]*$"
