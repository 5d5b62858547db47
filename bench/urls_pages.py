"""The production URLs plus the benchmark's floor, which never reaches config/urls.py."""

from django.urls import path

from bench import web
from config.urls import urlpatterns as app_urlpatterns

urlpatterns = [
    path("bench/floor/", web.floor, name="bench_floor"),
    path("bench/floor/layout/", web.floor_layout, name="bench_floor_layout"),
    *app_urlpatterns,
]
