"""Form widgets drawn in Python where Django's template-drawn ones cost too much per request.

Django renders a ``<select>`` through one template per option (and one more per option for its attributes): on
the directory's filter form, about a hundred template includes per page, a fifth of the page's time. ``PlainSelect``
produces the very same HTML (tests/test_widgets.py compares it with Django's, byte for byte) with string joins.
"""

from __future__ import annotations

from django import forms
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe


def _attributes(attrs: dict) -> str:
    """Like django/forms/widgets/attrs.html: ``False`` drops the attribute, ``True`` writes its bare name."""
    parts = []
    for name, value in attrs.items():
        if value is False:
            continue
        if value is True:
            parts.append(format_html(" {}", name))
        else:
            parts.append(format_html(' {}="{}"', name, str(value)))
    return "".join(parts)


class PlainSelect(forms.Select):
    def render(self, name, value, attrs=None, renderer=None) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]
        html = [format_html('<select name="{}"', widget["name"]), _attributes(widget["attrs"]), ">"]
        for group_name, options, _index in widget["optgroups"]:
            if group_name:
                html.append(format_html('\n  <optgroup label="{}">', group_name))
            for option in options:
                html.append(
                    format_html(
                        '\n  <option value="{}"{}>{}</option>\n',
                        str(option["value"]),
                        mark_safe(_attributes(option["attrs"])),  # noqa: S308 (built by format_html above)
                        conditional_escape(option["label"]),
                    )
                )
            if group_name:
                html.append("\n  </optgroup>")
        html.append("\n</select>")
        return mark_safe("".join(html))  # noqa: S308 (every part escaped by format_html / conditional_escape)
