"""pydantic: models by their class and JSON fields."""

from __future__ import annotations

from typing import Any

from cerkit.integrations.base import ContentPolicy, Encoder, Sub, qualified_name


class PydanticFamily:
    """The pydantic :class:`~cerkit.integrations.base.ModelFamily` (values only)."""

    module = "pydantic"

    def encode(self, value: Any, options: ContentPolicy, sub: Sub, encoder: Encoder) -> Any:
        import pydantic

        if not isinstance(value, pydantic.BaseModel):
            return None
        fields = value.model_dump(mode="json")
        return {"$type": "pydantic", "class": qualified_name(type(value)), "fields": sub(fields)}

    def identify(self, model: Any, encoder: Encoder) -> dict[str, Any] | None:
        return None


FAMILY = PydanticFamily()
__all__ = ["FAMILY", "PydanticFamily"]
