from django.urls import path

from notes.views import clinic, portal

app_name = "notes"

urlpatterns = [
    path("clinic/sessions/<int:session_pk>/note/", clinic.session_note, name="session_note"),
    path("clinic/notes/<int:pk>/", clinic.note_detail, name="detail"),
    path("clinic/notes/<int:pk>/cosign/", clinic.note_cosign, name="cosign"),
    path("clinic/notes/<int:pk>/addenda/", clinic.addendum_add, name="addendum"),
    path("portal/notes/", portal.note_list, name="portal_list"),
    path("portal/notes/<int:pk>/", portal.note_detail, name="portal_detail"),
]
