"""Small shared types."""

from __future__ import annotations

from typing import Final, final


@final
class NotGiven:
    """The type of `NOT_GIVEN`, which marks an argument that was not passed.

    Needed where None is itself a meaningful value: `with_options(timeout=None)` means
    "no timeout", while leaving `timeout` out means "keep the current one".
    """

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "NOT_GIVEN"


NOT_GIVEN: Final = NotGiven()
