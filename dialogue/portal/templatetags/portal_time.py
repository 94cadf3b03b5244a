"""Times in the portal: Geneva time, where deadlines are set, and the reader's own time."""

import datetime
import zoneinfo

from django import template
from django.conf import settings
from django.utils import formats
from django.utils.html import format_html
from django.utils.translation import gettext as _

register = template.Library()


def _zone(name: str | None) -> zoneinfo.ZoneInfo | None:
    if not name:
        return None
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


def _offset(value: datetime.datetime) -> str:
    minutes = int(value.utcoffset().total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    hours, minutes = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{minutes:02d}"


def _date_time(value: datetime.datetime) -> tuple[str, str]:
    return formats.date_format(value, "DATE_FORMAT"), formats.time_format(value, "H:i")


@register.simple_tag
def both_times(value: datetime.datetime | None, person=None) -> str:
    """An instant as a <time> element, in Geneva time and in the person's own time zone.

    The machine-readable `datetime` attribute is always UTC. The person's time is left
    out when their time zone is Geneva's or tells the same wall-clock time.
    """
    if value is None:
        return ""
    utc = value.astimezone(datetime.UTC)
    geneva = utc.astimezone(zoneinfo.ZoneInfo(settings.TIME_ZONE))
    date, time = _date_time(geneva)
    geneva_text = _("%(date)s, %(time)s Geneva time") % {"date": date, "time": time}
    zone = _zone(getattr(person, "time_zone", None))
    own = utc.astimezone(zone) if zone else None
    if own is None or own.replace(tzinfo=None) == geneva.replace(tzinfo=None):
        return format_html(
            '<time datetime="{}">{}</time>', utc.strftime("%Y-%m-%dT%H:%M:%SZ"), geneva_text
        )
    date, time = _date_time(own)
    own_text = _("%(date)s, %(time)s in your time zone (%(zone)s, %(offset)s)") % {
        "date": date,
        "time": time,
        "zone": zone.key,
        "offset": _offset(own),
    }
    return format_html(
        '<time datetime="{}"><span class="time-geneva">{}</span> · '
        '<span class="time-own">{}</span></time>',
        utc.strftime("%Y-%m-%dT%H:%M:%SZ"),
        geneva_text,
        own_text,
    )
