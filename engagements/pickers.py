"""
People pickers, server-rendered: a select that offers at most PICKER_LIMIT people who fit
(engagements/people.py), narrowed by a search box beside it (name or email) that the form
posts back with a "Find" button — no script, no CDN, and never a list of a 200,000-person
tenant in the page. The field validates against everyone who fits, not only those shown,
so a choice made before a search stays valid.
"""

from django import forms
from django.db.models import Q
from django.forms.utils import pretty_name
from django.utils.translation import gettext as _

PICKER_LIMIT = 50
FIND = "find"  # the name of the search buttons: the form is shown again, nothing is saved


def person_label(user):
    # The email tells two people of the same name apart.
    return f"{user.full_name} — {user.email}" if user.full_name else user.email


def search(queryset, q):
    q = (q or "").strip()
    if not q:
        return queryset
    terms = Q()
    for word in q.split()[:4]:
        terms &= Q(full_name__icontains=word) | Q(email__icontains=word)
    return queryset.filter(terms)


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return person_label(obj)


class PickerFormMixin:
    """
    For forms with PersonChoiceFields: `setup_picker(name, queryset)` sets what the field
    accepts and what its select offers — those matching the search `<name>_q`, plus the
    person already chosen.
    """

    def add_search(self, name):
        label = (self.fields[name].label or pretty_name(name)).lower()
        self.fields[f"{name}_q"] = forms.CharField(
            required=False, max_length=100, label=_("Find a %(what)s") % {"what": label},
            widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Name or email"),
                                          "autocomplete": "off"}))

    def setup_picker(self, name, queryset):
        field = self.fields[name]
        field.queryset = queryset
        self.add_search(name)
        q = (self.data.get(f"{name}_q") if self.is_bound else self.initial.get(f"{name}_q"))
        shown = list(search(queryset, q)[:PICKER_LIMIT + 1])
        more = len(shown) > PICKER_LIMIT
        shown = shown[:PICKER_LIMIT]
        chosen = self.data.get(name) if self.is_bound else self.initial.get(name)
        chosen = getattr(chosen, "pk", chosen)
        if chosen and str(chosen) not in {str(u.pk) for u in shown}:
            current = queryset.filter(pk=chosen).first() if str(chosen).isdigit() else None
            if current is not None:
                shown.insert(0, current)
        empty = field.empty_label if not field.required else _("Choose…")
        field.widget.choices = [("", empty or "—")] + [(u.pk, person_label(u)) for u in shown]
        if more:
            field.help_text = _("The first %(count)d shown: search by name or email to find "
                                "someone else.") % {"count": PICKER_LIMIT}
        elif q and not shown:
            field.help_text = _("Nobody matches this search.")
