from django.urls import path

from civicloop.problems import views

app_name = "problems"

urlpatterns = [
    path("", views.ledger, name="ledger"),
    path("export.xlsx", views.ledger_export, name="export"),
    path("workbench/", views.workbench, name="workbench"),
    path("workbench/cards/", views.workbench_cards, name="workbench_cards"),
    path("new/", views.problem_new, name="new"),
    path("point-options/", views.point_options, name="point_options"),
    path("kpi/", views.kpi, name="kpi"),
    path("rules/", views.rule_list, name="rule_list"),
    path("rules/new/", views.rule_create, name="rule_create"),
    path("rules/<int:pk>/edit/", views.rule_edit, name="rule_edit"),
    path("rules/<int:pk>/delete/", views.rule_delete, name="rule_delete"),
    path("evidence/<int:pk>/", views.evidence_file, name="evidence_file"),
    path(
        "evidence/<int:pk>/thumb/",
        views.evidence_file,
        {"variant": "thumb"},
        name="evidence_thumb",
    ),
    path("evidence/<int:pk>/delete/", views.evidence_delete, name="evidence_delete"),
    path("<int:pk>/", views.problem_detail, name="detail"),
    path("<int:pk>/act/<slug:action>/", views.problem_action, name="action"),
    path("<int:pk>/evidence/", views.evidence_upload, name="evidence_upload"),
    path("<int:pk>/notice/", views.problem_notice, name="notice"),
    path("<int:pk>/notice.docx", views.problem_notice_docx, name="notice_docx"),
]
