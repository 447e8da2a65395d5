"""The day summary for a range (/staff/reports) and its CSV exports of orders and of order lines."""

from datetime import timedelta

from flask import request

from ...bakery_calendar import service as calendar_service
from ...exceptions import Invalid
from ...reports import exports, summary
from ...reports.ranges import parse_range
from ...web.csv_export import csv_response
from .. import bp
from ..auth import staff_required
from .lists import answer_page, refused


def _range():
    return parse_range(request.args.get("from"), request.args.get("to"), calendar_service.now().date())


def quick_ranges(today):
    """The ranges staff ask for most: this month so far, last month, the last 7 days."""
    first_of_month = today.replace(day=1)
    end_of_last = first_of_month - timedelta(days=1)
    return (
        ("This month so far", first_of_month, today),
        ("Last month", end_of_last.replace(day=1), end_of_last),
        ("Last 7 days", today - timedelta(days=6), today),
    )


@bp.get("/reports")
@staff_required
def reports():
    """Orders, items and revenue per day and per product, best sellers and totals (default: this month so far)."""
    context = {"quick": quick_ranges(calendar_service.now().date()), "values": request.args}
    try:
        first, last = _range()
    except Invalid as error:
        return refused("staff/reports.html", "report", error, report=None, **context)
    report = summary.report(first, last)
    context["values"] = {"from": first.isoformat(), "to": last.isoformat()}
    return answer_page(report.to_dict(), "staff/reports.html", "report", report=report, **context)


@bp.get("/reports/orders.csv")
@staff_required
def orders_csv():
    """One row per order of the range: what the accountant reconciles the till with."""
    first, last = _range()
    return csv_response(f"orders-{first}-to-{last}.csv", exports.ORDER_COLUMNS, exports.order_rows(first, last))


@bp.get("/reports/lines.csv")
@staff_required
def lines_csv():
    """One row per order line of the range."""
    first, last = _range()
    return csv_response(f"order-lines-{first}-to-{last}.csv", exports.LINE_COLUMNS, exports.line_rows(first, last))
