"""psn/widgets.py: the Python-drawn select must produce Django's own HTML, byte for byte."""

import pytest
from django import forms

from psn.widgets import PlainSelect

CASES = [
    # choices, value, attrs
    ([("", "---"), ("a", "A & b"), ("c", "C <script>")], "c", {"id": "id_x", "aria-describedby": "id_x_helptext"}),
    ([("", "---------"), ("a", "A")], "", {"id": "id_x", "required": True, "disabled": False}),
    ([("Group <1>", [("1", "one"), ("2", "two")]), ("3", "three")], 2, {}),
    ([(1, "x"), (2, 'quote " here')], None, {"data-note": '"quoted" & <b>'}),
    ([("true", "Yes"), ("false", "No")], "false", {"class": "filter"}),
]


@pytest.mark.parametrize(("choices", "value", "attrs"), CASES)
def test_plain_select_draws_what_django_draws(choices, value, attrs):
    django_html = forms.Select(choices=choices).render("field", value, attrs=attrs)
    assert PlainSelect(choices=choices).render("field", value, attrs=attrs) == django_html


def test_plain_select_escapes_labels_and_values():
    html = PlainSelect(choices=[('"><script>', "<img src=x onerror=alert(1)>")]).render("f", None)
    assert "<script>" not in html and "<img" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html and 'value="&quot;&gt;&lt;script&gt;"' in html


def test_a_bound_form_field_draws_the_same_through_either_widget():
    class Plain(forms.Form):
        language = forms.ChoiceField(choices=[("", "Any"), ("es", "Spanish")], required=False, widget=PlainSelect)

    class Stock(forms.Form):
        language = forms.ChoiceField(choices=[("", "Any"), ("es", "Spanish")], required=False)

    assert str(Plain({"language": "es"})["language"]) == str(Stock({"language": "es"})["language"])
    assert str(Plain({"language": "xx"})["language"]) == str(Stock({"language": "xx"})["language"])
