"""An event's dates as precisely as they are known, in the active language."""

from django import template
from django.utils.html import format_html

from dialogue.events.models import Event
from dialogue.events.selectors import dates_text

register = template.Library()


@register.simple_tag
def event_dates(event: Event) -> str:
    """The dates in words; inside <time datetime="YYYY-MM-DD"> only when the first day is known.

    A month, a season, a year or "to be determined" stays plain text, so no machine-readable
    day is ever made up.
    """
    text = dates_text(event)
    if event.precision == Event.Precision.DAY and event.start_date:
        return format_html('<time datetime="{}">{}</time>', event.start_date.isoformat(), text)
    return text
