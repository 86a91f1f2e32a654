"""URLs of a tenant's site (<slug>.BASE_DOMAIN): the staff web app and the REST API."""
from django.views.i18n import set_language
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from accounts import api as accounts_api
from apps.audit import api as audit_api
from apps.clients import api as clients_api
from apps.clients.attachments import api as client_attachments_api
from apps.clients.custom_fields import api as custom_fields_api
from apps.clients.exports import api as client_exports_api
from apps.clients.imports import api as client_imports_api
from apps.clients.people import api as client_people_api
from apps.clients.segments import api as client_segments_api
from apps.deals import api as deals_api
from apps.interactions import api as interactions_api
from apps.notifications import api as notifications_api
from apps.tasks import api as tasks_api
from workflows import api as workflows_api
from apps.web.views import health

handler400 = "apps.api.errors.handler400"
handler403 = "apps.api.errors.handler403"
handler404 = "apps.api.errors.handler404"
handler500 = "apps.api.errors.handler500"

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("users", accounts_api.UserViewSet, basename="user")
router.register("roles", accounts_api.RoleViewSet, basename="role")
router.register("invitations", accounts_api.InvitationViewSet, basename="invitation")
router.register("auth/tokens", accounts_api.TokenViewSet, basename="token")
router.register("audit-events", audit_api.AuditEventViewSet, basename="audit-event")
router.register("pipelines", workflows_api.PipelineViewSet, basename="pipeline")
router.register("calendars", workflows_api.CalendarViewSet, basename="calendar")
router.register("clients", clients_api.ClientViewSet, basename="client")
router.register("client-sources", clients_api.ClientSourceViewSet, basename="client-source")
router.register("custom-fields", custom_fields_api.CustomFieldViewSet, basename="custom-field")
router.register("client-imports", client_imports_api.ClientImportViewSet, basename="client-import")
router.register("client-exports", client_exports_api.ClientExportViewSet, basename="client-export")
router.register("companies", client_people_api.CompanyViewSet, basename="company")
router.register("segments", client_segments_api.SegmentViewSet, basename="segment")
router.register("client-categories", client_segments_api.CategoryViewSet, basename="client-category")
router.register("interactions", interactions_api.InteractionViewSet, basename="interaction")
router.register("deals", deals_api.DealViewSet, basename="deal")
router.register("tasks", tasks_api.TaskViewSet, basename="task")
router.register("notifications", notifications_api.NotificationViewSet, basename="notification")

api_v1 = [
    path("auth/token/", accounts_api.TokenObtainView.as_view(), name="api-token"),
    path("clients/<int:pk>/timeline/", interactions_api.ClientTimelineView.as_view(), name="client-timeline"),
    path("clients/<int:pk>/attachments/", client_attachments_api.ClientAttachmentListView.as_view(), name="client-attachments-api"),
    path("clients/<int:pk>/attachments/<int:attachment_id>/", client_attachments_api.ClientAttachmentDetailView.as_view(), name="client-attachment-api"),
    path(
        "clients/<int:pk>/attachments/<int:attachment_id>/download/",
        client_attachments_api.ClientAttachmentDownloadView.as_view(),
        name="client-attachment-download-api",
    ),
    path("clients/<int:client_pk>/family/", client_people_api.FamilyListView.as_view(), name="client-family"),
    path("clients/<int:client_pk>/family/<int:pk>/", client_people_api.FamilyDetailView.as_view(), name="client-family-member"),
    path("", include(router.urls)),
]

urlpatterns = [
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("health/", health, name="health"),
    path("i18n/setlang/", set_language, name="set-language"),
    path("", include("accounts.urls")),
    path("", include("workflows.urls")),
    path("", include("apps.clients.urls")),
    path("", include("apps.interactions.urls")),
    path("", include("apps.deals.urls")),
    path("", include("apps.tasks.urls")),
    path("", include("apps.notifications.urls")),
    path("", include("billing.urls")),
    path("", include("apps.web.urls")),
]
