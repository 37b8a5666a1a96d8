from datetime import datetime

from vfp_shared.contracts.base import Contract, event


@event("support.referral-made", version=1, key="service_ref")
class ReferralMadeV1(Contract):
    """A referral reached a commissioned service (the force judges the panel by their rise)."""

    referral_ref: str
    service_ref: str
    referred_at: datetime
    referred_by: str = "police"
