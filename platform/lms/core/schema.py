"""The OpenAPI schema of ``/api/...`` (drf-spectacular, served at ``/api/schema/``): the
error shape every API answers with.

The DRF views describe themselves through their serializers and ``@extend_schema``.
``POST /api/events`` is a plain Django view on purpose (the hottest endpoint of the
site), so ``lms.tracking.schema.events_path`` adds its hand-written description after
generation.
"""

from __future__ import annotations

from rest_framework import serializers

ERROR = {
    "type": "object",
    "properties": {"error": {"type": "string"}},
    "required": ["error"],
}


class ErrorSerializer(serializers.Serializer):
    """``{"error": "<what went wrong and what to do>"}`` (the component ``Error``)."""

    error = serializers.CharField()
