"""The workspace's learning pages: a failure's learning section and its forms, guard rules, replays."""

from django.urls import path

from amends.web.views import guards, learning, replay

urlpatterns = [
    path("failures/<int:failure_id>/learning/", learning.failure_learning, name="failure_learning"),
    path("failures/<int:failure_id>/learning/review/", learning.review_save, name="learning_review"),
    path("failures/<int:failure_id>/learning/actions/", learning.corrective_new, name="learning_action_new"),
    path("failures/<int:failure_id>/learning/actions/<int:action_id>/done/", learning.corrective_done,
         name="learning_action_done"),
    path("failures/<int:failure_id>/learning/actions/<int:action_id>/approve/", learning.corrective_approve,
         name="learning_action_approve"),
    path("failures/<int:failure_id>/learning/actions/<int:action_id>/guard/", learning.corrective_guard,
         name="learning_action_guard"),
    path("failures/<int:failure_id>/learning/suggestions/", learning.suggestion_new, name="learning_suggestion_new"),
    path("failures/<int:failure_id>/learning/suggestions/<int:suggestion_id>/promote/",
         learning.suggestion_to_action, name="learning_suggestion_promote"),
    path("failures/<int:failure_id>/learning/learn/", learning.learn, name="learning_learn"),
    path("guards/", guards.guards_page, name="guards"),
    path("guards/add/", guards.guard_new, name="guard_new"),
    path("replay/", replay.replay_page, name="replay"),
    path("replay/adopt/", replay.replay_adopt_view, name="replay_adopt"),
]
