"""Client file pages: upload and delete from the card (plain multipart POST, back to the card), download."""
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from apps.api.errors import DomainError, error_details
from apps.clients.attachments import selectors, services
from apps.clients.attachments.download import attachment_file_response
from apps.clients.selectors import client_visible_or_404


class AttachmentUploadForm(forms.Form):
    # Empty files pass the form so the service names the rule, as it does for the API.
    file = forms.FileField(label=gettext_lazy("File"), allow_empty_file=True)
    description = forms.CharField(label=gettext_lazy("Description"), max_length=services.DESCRIPTION_MAX, required=False)


def _back_to_card(client_pk: int):
    return redirect(reverse("client-detail", args=[client_pk]) + "#attachments")


@login_required
@require_POST
def attachment_upload(request, pk: int):
    client = client_visible_or_404(request.user, pk)
    form = AttachmentUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return _back_to_card(client.pk)
    try:
        attachment = services.attachment_add(
            client=client, actor=request.user, upload=form.cleaned_data["file"], description=form.cleaned_data["description"],
        )
    except DomainError as exc:
        messages.error(request, " ".join(error_details(exc)) or exc.message)
    else:
        messages.success(request, _("“%(name)s” is on the card.") % {"name": attachment.original_name})
    return _back_to_card(client.pk)


@login_required
@require_GET
def attachment_download(request, pk: int, attachment_id: int):
    attachment = selectors.attachment_for_download(user=request.user, client_id=pk, attachment_id=attachment_id)
    if attachment is None:
        raise Http404
    return attachment_file_response(attachment=attachment, actor=request.user)


@login_required
@require_POST
def attachment_delete(request, pk: int, attachment_id: int):
    client = client_visible_or_404(request.user, pk)
    attachment = get_object_or_404(selectors.attachment_list_of(client), pk=attachment_id)
    attachment.client = client
    try:
        services.attachment_delete(attachment=attachment, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("“%(name)s” was deleted.") % {"name": attachment.original_name})
    return _back_to_card(client.pk)
