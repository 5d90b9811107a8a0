from django.contrib import admin
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from schema import schema
from schema.csrf import csrf_token
from schema.view import GraphQLView
from users.views import jwks

urlpatterns = [
    path("admin/", admin.site.urls),
    path("graphql/", csrf_exempt(GraphQLView.as_view(schema=schema))),
    path(".well-known/jwks.json", jwks, name="jwks"),
    path("csrf/", csrf_token, name="csrf"),
]
