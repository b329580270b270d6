from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy


class SavedViewForm(forms.Form):
    name = forms.CharField(
        max_length=100, label=gettext_lazy("Save this view as"),
        widget=forms.TextInput(attrs={"placeholder": gettext_lazy("e.g. Off track in London")}),
    )
    # The filters being looked at (the report's query string) and the opened saved view,
    # whose columns are the ones on screen.
    query = forms.CharField(max_length=2000, required=False, widget=forms.HiddenInput)
    view = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError(_("Give the view a name."))
        return name
