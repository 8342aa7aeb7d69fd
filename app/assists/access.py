"""Who may do what to an assist (registered with `app.permissions.register_rule`).

An assist is its helper's alone: nobody else sees its confirmation or undoes it, not even a
manager (managers see counts, never single assists).
"""

from __future__ import annotations

from typing import Any

VIEW_ASSIST = "view_assist"
UNDO_ASSIST = "undo_assist"


def is_own_assist(user: Any, assist: Any) -> bool:
    """Tell whether the assist was logged by this user."""
    return assist.user_id == user.id
