from django.urls import path

from apps.deals import views

urlpatterns = [
    path("board/", views.board, name="board"),
    path("board/<int:pipeline_id>/", views.board, name="board-pipeline"),
    path("board/move/<int:pk>/", views.board_move, name="board-move"),
    path("deals/", views.deal_table, name="deal-table"),
    path("deals/new/", views.deal_create, name="deal-create"),
    path("deals/<int:pk>/", views.deal_detail, name="deal-detail"),
    path("deals/<int:pk>/move/", views.deal_move, name="deal-move"),
]
