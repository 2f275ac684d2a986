"""Importing this module registers every handler (one module per process adds its own below)."""

from . import common, group_approval  # noqa: F401
from . import account_filing  # noqa: F401
from . import documents  # noqa: F401
from . import owner_change  # noqa: F401
from . import temp_group_expiry  # noqa: F401
from . import account_deregistration  # noqa: F401
from . import member_exit  # noqa: F401
from . import cleanup_refiling  # noqa: F401
