from django import forms
from django.conf import settings


class UploadForm(forms.Form):
    file = forms.FileField(
        label="File",
        help_text=f"PDF, Word (.docx), Markdown or plain text, up to {settings.MATERIAL_MAX_UPLOAD_BYTES // 2**20} MB.",
        widget=forms.ClearableFileInput(
            attrs={"accept": ".pdf,.docx,.md,.markdown,.txt,application/pdf,text/plain,text/markdown"}
        ),
    )
    title = forms.CharField(label="Title", max_length=500, required=False, help_text="Defaults to the file name.")
    description = forms.CharField(label="Description", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    topic = forms.CharField(
        label="Topic", max_length=255, required=False, help_text="e.g. Cardiology. Left empty, StudyIn guesses it."
    )
    tags = forms.CharField(label="Tags", max_length=1000, required=False, help_text="Separated by commas.")

    def clean_tags(self) -> list[str]:
        tags = [t.strip() for t in self.cleaned_data["tags"].split(",")]
        too_long = [t for t in tags if len(t) > 100]
        if too_long:
            raise forms.ValidationError("Tags can be at most 100 characters long.")
        return list(dict.fromkeys(t for t in tags if t))


class SearchForm(forms.Form):
    q = forms.CharField(label="Search your materials", max_length=500, required=False)
