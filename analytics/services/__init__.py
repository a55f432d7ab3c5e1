"""The analytics services (writes): users' alerts and ops alerts."""

from analytics.services.alerts import (
    alert_create,
    alert_emails_send,
    alert_delete,
    alert_triggers_save,
    alert_update,
    alerts_version_key,
)
from analytics.services.ops import ops_alert_raise

__all__ = ["alert_create", "alert_emails_send", "alert_delete", "alert_triggers_save", "alert_update", "alerts_version_key",
           "ops_alert_raise"]
