"""Reports: earnings per day/week/month, product, channel and source; channels' spending;
payouts to friends; products' returns. Each lives in its own module; the names here are the
public surface."""

from .channels import ChannelSpend, ChannelsReport, channels_report
from .earnings import BYS, TIME_BYS, Report, ReportRow, earnings_report, report_csv
from .payouts import Payout, Payouts, payouts, payouts_csv, previous_month
from .products import DEFAULT_MAX_INVALID_RATE, ProductReturns, ProductsReport, max_invalid_rate, products_report
from .rollups import ensure_rollups, rebuild_rollups
from .spans import month_bounds, offset_segments, resolve_bound
from .variants import VARIANT_BYS, VariantRow, VariantsReport, variants_report

__all__ = [
    "BYS", "DEFAULT_MAX_INVALID_RATE", "TIME_BYS", "ChannelSpend", "ChannelsReport", "Payout", "Payouts",
    "ProductReturns", "ProductsReport", "Report", "ReportRow", "channels_report", "earnings_report",
    "ensure_rollups", "max_invalid_rate", "month_bounds", "offset_segments", "payouts", "payouts_csv",
    "previous_month", "products_report", "rebuild_rollups", "report_csv", "resolve_bound",
    "VARIANT_BYS", "VariantRow", "VariantsReport", "variants_report",
]
