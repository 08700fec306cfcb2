"""Seed the business-day calendar from 2000 through 2040 (reports.calendar extends it when a report needs more)."""

import datetime

from django.db import migrations


def fill(apps, schema_editor):
    import holidays

    CalendarDay = apps.get_model("reports", "CalendarDay")
    federal = holidays.country_holidays("US", observed=True)
    first, day, index, rows = datetime.date(2000, 1, 1), datetime.date(2000, 1, 1), 0, []
    while day <= datetime.date(2040, 12, 31):
        business = day.weekday() < 5 and day not in federal
        index += int(business)
        rows.append(
            CalendarDay(day=day, day_number=(day - first).days, is_business_day=business, business_index=index)
        )
        day += datetime.timedelta(days=1)
    CalendarDay.objects.bulk_create(rows, batch_size=2000, ignore_conflicts=True)


def empty(apps, schema_editor):
    apps.get_model("reports", "CalendarDay").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("reports", "0001_reports")]

    operations = [migrations.RunPython(fill, empty)]
