from django.urls import path

from accounts import views

urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("welcome/<str:token>/", views.welcome, name="welcome"),
    path("invite/<str:token>/", views.invitation_accept, name="invitation-accept"),
    path("password-reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("password-reset/sent/", views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path("password-reset/<uidb64>/<token>/", views.PasswordResetConfirmView.as_view(), name="password_reset_confirm"),
    path("settings/team/", views.team, name="team"),
    path("settings/team/<int:pk>/", views.user_edit, name="user-edit"),
    path("settings/invitations/<int:pk>/revoke/", views.invitation_revoke, name="invitation-revoke"),
    path("settings/roles/", views.role_create, name="role-create"),
    path("settings/roles/<int:pk>/delete/", views.role_delete, name="role-delete"),
    path("settings/profile/", views.profile, name="profile"),
    path("settings/profile/tokens/", views.token_create, name="token-create"),
    path("settings/profile/tokens/<int:pk>/revoke/", views.token_revoke, name="token-revoke"),
]
