"""The report's charts (reports/charts.py: SVG from matplotlib), what the page and the PDF show of the numbers
(reports/rendering.py) and the PDF (reports/pdf.py, WeasyPrint), all from a snapshot's numbers only.

Most tests use October 2026's numbers written out by hand here, in the shape ``metrics.compute`` stores, and their
shared version from ``suppression.suppress``; the last one builds a report through the service."""

import datetime
import re
import subprocess
import xml.etree.ElementTree as ET

import pytest

from reports import charts, pdf, rendering, services, suppression
from tests.factories import ReferralFactory

SVG = "{http://www.w3.org/2000/svg}"
MONTHS = [f"{2025 + (10 + n) // 12}-{(10 + n) % 12 + 1:02d}" for n in range(12)]  # 2025-11 .. 2026-10


def rows(prefix: str, pairs) -> list[dict]:
    return [{"key": f"{prefix}:{n}", "dimension": name, "value": value} for n, (name, value) in enumerate(pairs)]


def october() -> dict:
    headline = {
        "referrals_made": 12,
        "acknowledged": 8,
        "accepted": 6,
        "declined": 2,
        "acceptance_rate": 0.75,
        "completed": 3,
        "closed_unsuccessful": 0,
        "transferred": 1,
        "withdrawn": 0,
        "open_at_month_end": 9,
        "overdue_at_month_end": 1,
        "people_served": 10,
        "people_new": 7,
        "people_returning": 3,
        "meetings_held": 2,
        "action_items_opened": 5,
        "action_items_closed": 0,
        "crime_total": 21,
    }
    previous = {**dict.fromkeys(headline, 0), "referrals_made": 9, "acceptance_rate": 0.625, "crime_total": 30}
    last_year = {**dict.fromkeys(headline, 0), "referrals_made": 5, "acceptance_rate": None, "crime_total": None}
    series = {name: [previous.get(name)] * 10 + [previous.get(name), headline[name]] for name in headline}
    series["referrals_made"] = [5, 6, 7, 8, 9, 10, 11, 10, 9, 8, 9, 12]
    series["crime_total"] = [None] * 6 + [25, 28, 26, 31, 30, 21]
    return {
        "meta": {
            "task_force": "wdt",
            "task_force_name": "Western District of Testing",
            "period": "2026-10",
            "timezone": "America/Chicago",
            "computed_at": "2026-11-01T11:00:00+00:00",
            "definitions_version": 1,
            "version": 3,
        },
        "headline": headline,
        "tables": [
            {"metric": "referrals_by_sending_partner", "rows": rows("partner", [("City Police", 12)]), "total": None},
            {
                "metric": "referrals_by_receiving_partner",
                "rows": rows("partner", [("Housing Authority", 3), ("Workforce Center", 9)]),
                "total": "referrals_made",
            },
            {"metric": "referrals_by_need", "rows": rows("need", [("Housing", 6), ("Job training", 8)]), "total": None},
            {"metric": "decline_reasons", "rows": rows("reason", [("No capacity", 2)]), "total": "declined"},
            {"metric": "outcomes_completed", "rows": rows("reason", [("Service completed", 3)]), "total": "completed"},
            {"metric": "outcomes_unsuccessful", "rows": [], "total": "closed_unsuccessful"},
            {
                "metric": "meetings_by_kind",
                "rows": rows("kind", [("Task force meeting", 1), ("Case review", 1)]),
                "total": "meetings_held",
            },
            {
                "metric": "crime_by_offense",
                "rows": rows(
                    "offense", [("Homicide", 1), ("Non-fatal shooting", 4), ("Aggravated assault", 9), ("Robbery", 7)]
                ),
                "total": "crime_total",
            },
        ],
        "timing": [
            {"metric": "time_to_acknowledge", "n": 8, "median_business_days": 1.5, "median_calendar_days": 2.0},
            {"metric": "time_to_first_contact", "n": 3, "median_business_days": 3.0, "median_calendar_days": 5.0},
            {"metric": "time_to_close", "n": 0, "median_business_days": None, "median_calendar_days": None},
        ],
        "attendance": [
            {
                "key": "partner:1",
                "dimension": "City Police",
                "invited": 2,
                "present": 2,
                "absent": 0,
                "excused": 0,
                "unrecorded": 0,
            }
        ],
        "crime_reported": True,
        "comparison": {
            "previous_month": {"period": "2026-09", "headline": previous},
            "same_month_last_year": {"period": "2025-10", "headline": last_year},
        },
        "trend": {"months": MONTHS, "series": series},
    }


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    return root


def line_runs(svg: str) -> list[int]:
    """The drawn trend line (the brand-coloured path) as the number of points in each unbroken run."""
    for group in parse(svg).iter(f"{SVG}g"):
        if not group.get("id", "").startswith("line2d_"):
            continue
        for path in group.iter(f"{SVG}path"):
            if "stroke: #1d3b6e" in path.get("style", ""):
                runs = re.split(r"\bM\b", path.get("d"))
                return [len(re.findall(r"[ML]?\s*-?[\d.]+ -?[\d.]+", "M" + run)) for run in runs if run.strip()]
    raise AssertionError("no trend line in the chart")


def pdf_text(data: bytes, tmp_path) -> str:
    path = tmp_path / "report.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True).stdout


# --- Charts ------------------------------------------------------------------------------------------------------


def test_every_chart_is_valid_svg_with_its_text_as_text_and_no_script():
    document = rendering.report_document(october())
    figures = document.trends + [figure for section in document.sections for figure in section.figures]
    assert [figure.id for figure in figures] == [
        "trend-referrals-made",
        "trend-acceptance-rate",
        "trend-people-served",
        "trend-meetings-held",
        "trend-crime-total",
        "chart-referrals-by-receiving-partner",
        "chart-referrals-by-need",
        "chart-crime-by-offense",
    ]
    for figure in figures:
        root = parse(figure.svg)
        assert not list(root.iter(f"{SVG}script")) and "<script" not in figure.svg.lower()
        assert not re.search(r"\son\w+=", figure.svg)  # no event handler attributes
        assert list(root.iter(f"{SVG}text")), figure.id  # svg.fonttype "none": labels stay text
        assert figure.data_uri.startswith("data:image/svg+xml;base64,")
    texts = {text.text for text in parse(figures[-1].svg).iter(f"{SVG}text")}
    assert {"Homicide", "Non-fatal shooting", "Robbery"} <= texts


def test_a_chart_is_the_same_bytes_each_time_it_is_drawn():
    charts.trend.cache_clear()
    first = charts.trend(("Sep", "Oct"), (1, 2))
    charts.trend.cache_clear()
    assert charts.trend(("Sep", "Oct"), (1, 2)) == first
    assert "<dc:date>" not in first


def test_a_suppressed_or_unknown_month_is_a_gap_in_the_trend_line_not_a_number():
    labels = ("Jul", "Aug", "Sep", "Oct")
    assert line_runs(charts.trend(labels, (1, 2, 3, 4))) == [4]
    with_marker = charts.trend(labels, (6, "<5", 7, 8))
    assert line_runs(with_marker) == [1, 2]
    assert "&lt;5" in with_marker  # written where the point would be, as text
    assert line_runs(charts.trend(labels, (None, None, 7, 8))) == [2]


def test_a_suppressed_bar_is_left_out_with_its_marker_in_its_place():
    def bars(svg: str) -> int:
        return sum(1 for group in parse(svg).iter(f"{SVG}g") if group.get("id", "").startswith("patch_"))

    every = charts.bars(("Workforce", "Housing"), (9, 7))
    hidden = charts.bars(("Workforce", "Housing"), (9, "<5"))
    assert bars(hidden) == bars(every) - 1
    assert "&lt;5" in hidden and "Housing" in hidden


# --- What the page and the PDF show ------------------------------------------------------------------------------


def test_the_headline_shows_each_number_with_its_changes():
    document = rendering.report_document(october())
    headline = {row.name: row for row in document.headline}
    made = headline["referrals_made"]
    assert (made.value, made.previous, made.previous_change, made.last_year, made.last_year_change) == (
        "12",
        "9",
        "+3",
        "5",
        "+7",
    )
    rate = headline["acceptance_rate"]
    assert (rate.value, rate.previous, rate.previous_change, rate.last_year_change) == (
        "75.0%",
        "62.5%",
        "+12.5 points",
        "—",
    )
    assert (document.previous_name, document.last_year_name) == ("September 2026", "October 2025")
    assert not document.shared and not document.has_markers


def test_the_shared_document_shows_markers_and_no_change_where_a_number_is_hidden():
    document = rendering.report_document(suppression.suppress(october()))
    headline = {row.name: row for row in document.headline}
    assert document.shared and document.has_markers
    assert headline["overdue_at_month_end"].value == "<5" and headline["overdue_at_month_end"].previous_change == "—"
    assert headline["referrals_made"].previous_change == "+3"
    receiving = next(f for s in document.sections for f in s.figures if f.id == "chart-referrals-by-receiving-partner")
    assert receiving.table.rows == [["Housing Authority", "<5"], ["Workforce Center", "*"]]
    assert receiving.notes == ["Values shown as “<5” or “*” are suppressed small numbers: they are not drawn."]


def test_the_trends_cover_twelve_months_and_crime_sits_beside_the_referrals():
    document = rendering.report_document(october())
    assert document.trend_table.headers == [
        "Month",
        "Referrals made",
        "Acceptance rate",
        "People served",
        "Meetings held",
        "Violent crimes",
    ]
    assert [row[0] for row in document.trend_table.rows] == [rendering.month_name(m) for m in MONTHS]
    assert document.trend_table.rows[0][-1] == "—" and document.trend_table.rows[-1][-1] == "21"
    crime = document.trends[-1]
    assert crime.table.headers == ["Month", "Violent crimes", "Referrals made", "People served"]
    assert "A dash (—) means there is no value for that month: nothing is drawn there." in crime.notes


def test_without_crime_counts_there_is_no_crime_chart():
    numbers = october()
    numbers["crime_reported"] = False
    numbers["headline"]["crime_total"] = None
    numbers["trend"]["series"]["crime_total"] = [None] * 12
    document = rendering.report_document(numbers)
    assert "trend-crime-total" not in [f.id for f in document.trends]
    assert "crime_total" not in [row.name for row in document.headline]
    crime = document.sections[-1]
    assert crime.figures == [] and crime.notes


# --- The PDF -----------------------------------------------------------------------------------------------------


def test_the_renderers_make_the_pdf():
    assert rendering.renderers() == {"pdf": pdf.render}


def test_footer_text_is_a_safe_css_string():
    assert pdf.css_string('A "B" \\ </style>') == '"A \\22 B\\22  \\5c  \\3c /style\\3e "'
    assert pdf._page_counter() == '"Page " counter(page) " of " counter(pages) ""'


def test_the_pdf_has_a_cover_the_numbers_the_charts_the_definitions_and_page_numbers(tmp_path):
    # No database in this test: a query while rendering would fail it.
    data = pdf.render(None, october())
    assert data.startswith(b"%PDF-")
    text = pdf_text(data, tmp_path)
    cover = text.split("\f")[0]
    for words in ("Monthly outcome report", "Western District of Testing", "October 2026", "Version", "3"):
        assert words in cover
    assert "Full version, for coordinators only" in cover and "Generated" in cover
    assert "Nov. 1, 2026, 5 a.m. (America/Chicago)"  # standard time from 2 a.m. that day in cover
    pages = text.count("\f")
    assert pages >= 3
    for page in range(1, pages + 1):
        assert f"Page {page} of {pages}" in text
    for words in ("Headline numbers", "Referrals by receiving partner", "Median business days", "Definitions"):
        assert words in text
    assert "Referrals submitted in the month (drafts never count; withdrawn ones do)." in text
    # The charts are drawn in, their labels as text: each offense in the bar chart and in its table.
    assert text.count("Aggravated assault") >= 2


def test_the_shared_pdf_says_so_and_shows_the_markers(tmp_path):
    text = pdf_text(pdf.render(None, suppression.suppress(october())), tmp_path)
    assert "Shared version — small numbers suppressed" in text.split("\f")[0]
    assert "Full version" not in text
    assert re.search(r"Housing Authority\s+<5", text) and re.search(r"Workforce Center\s+\*", text)


@pytest.mark.django_db
def test_a_built_report_stores_both_pdfs(world, tmp_path):
    submitted = datetime.datetime(2026, 10, 6, 15, tzinfo=datetime.UTC)
    for _ in range(3):
        ReferralFactory(
            sending_partner=world.sending, receiving_partner=world.receiving, status="submitted", submitted_at=submitted
        )
    snapshot = services.report_queue(task_force=world.tf, month=datetime.date(2026, 10, 1), enqueue=False)
    built = services.report_build(snapshot_id=snapshot.pk, renderers=rendering.renderers())
    with built.pdf_file.open("rb") as full, built.shared_pdf_file.open("rb") as shared:
        full_text, shared_text = pdf_text(full.read(), tmp_path), pdf_text(shared.read(), tmp_path)
    assert "Western District of Testing" in full_text and re.search(r"Referrals made\s+3\b", full_text)
    assert re.search(r"Referrals made\s+<5", shared_text)
    assert "Shared version — small numbers suppressed" in shared_text


def test_a_long_breakdown_draws_its_largest_rows_and_tables_them_all():
    numbers = october()
    partners = [(f"Partner {n:02d}", n) for n in range(1, 31)]
    numbers["tables"][1]["rows"] = rows("partner", partners)
    figure = rendering.report_document(numbers).sections[0].figures[0]
    drawn = [text.text for text in parse(figure.svg).iter(f"{SVG}text") if (text.text or "").startswith("Partner")]
    assert drawn == [f"Partner {n:02d}" for n in range(30, 15, -1)]
    assert len(figure.table.rows) == 30
    assert figure.notes[0] == "The 15 largest of 30 are drawn; the table lists them all."
