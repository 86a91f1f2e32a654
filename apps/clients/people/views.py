"""Card pages' small forms: relatives, a company's people, notes, and the person picker."""
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.api.errors import DomainError, error_lines
from apps.clients import selectors, services
from apps.clients.models import Client, FamilyMember
from apps.clients.people import services as people


class FamilyMemberForm(forms.Form):
    name = forms.CharField(max_length=200)
    relation = forms.ChoiceField(choices=FamilyMember.Relation.choices)
    birthday = forms.DateField(required=False, widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}))


class CompanyPersonForm(forms.Form):
    person = forms.IntegerField(min_value=1)
    position = forms.CharField(max_length=100, required=False)
    is_primary = forms.BooleanField(required=False)


class NoteForm(forms.Form):
    text = forms.CharField(max_length=5000, widget=forms.Textarea(attrs={"rows": 2}))


def _done(request, client: Client, form: forms.Form | None = None, error: DomainError | None = None):
    if error is not None:
        for line in error_lines(error):
            messages.error(request, line)
    elif form is not None and not form.is_valid():
        messages.error(request, "; ".join(f"{form.fields[name].label or name}: {' '.join(errs)}" if name in form.fields else " ".join(errs) for name, errs in form.errors.items()))
    return redirect("client-detail", pk=client.pk)


@login_required
@require_POST
def family_add(request, pk: int):
    client = selectors.client_visible_or_404(request.user, pk)
    form = FamilyMemberForm(request.POST)
    if not form.is_valid():
        return _done(request, client, form)
    try:
        people.family_member_add(client=client, actor=request.user, **form.cleaned_data)
    except DomainError as exc:
        return _done(request, client, error=exc)
    messages.success(request, _("Relative added."))
    return redirect("client-detail", pk=client.pk)


@login_required
@require_POST
def family_remove(request, pk: int, member_id: int):
    client = selectors.client_visible_or_404(request.user, pk)
    member = client.family.filter(pk=member_id).first()
    if member is None:
        raise Http404
    people.family_member_remove(member=member, actor=request.user)
    return redirect("client-detail", pk=client.pk)


@login_required
@require_POST
def company_person_add(request, pk: int):
    company = selectors.client_visible_or_404(request.user, pk)
    form = CompanyPersonForm(request.POST)
    if not form.is_valid():
        return _done(request, company, form)
    person = selectors.client_list_visible_to(request.user).filter(pk=form.cleaned_data["person"]).first()
    if person is None:
        raise Http404
    try:
        people.company_contact_set(
            company=company, person=person, actor=request.user,
            position=form.cleaned_data["position"], is_primary=form.cleaned_data["is_primary"],
        )
    except DomainError as exc:
        return _done(request, company, error=exc)
    return redirect("client-detail", pk=company.pk)


@login_required
@require_POST
def company_person_remove(request, pk: int, contact_id: int):
    company = selectors.client_visible_or_404(request.user, pk)
    contact = company.people.filter(pk=contact_id, person__in=selectors.client_list_visible_to(request.user).values("pk")).first()
    if contact is None:
        raise Http404
    people.company_contact_remove(contact=contact, actor=request.user)
    return redirect("client-detail", pk=company.pk)


@login_required
@require_POST
def note_add(request, pk: int):
    client = selectors.client_visible_or_404(request.user, pk)
    form = NoteForm(request.POST)
    if not form.is_valid():
        return _done(request, client, form)
    try:
        services.client_note_add(client=client, actor=request.user, text=form.cleaned_data["text"])
    except DomainError as exc:
        return _done(request, client, error=exc)
    return redirect("client-detail", pk=client.pk)


@login_required
def person_picker(request):
    """Search-as-you-type for a person to add to a company: radio buttons for the form."""
    query = request.GET.get("q", "")[:100]
    found = []
    if query.strip():
        visible = selectors.client_list_visible_to(request.user).filter(kind=Client.Kind.PERSON)
        found = selectors.client_search_top(visible, query, 10)
    return render(request, "clients/person_picker.html", {"people": found, "q": query})
