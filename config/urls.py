"""URL routes: /graphql/, the JWKS, the CSRF token and the admin."""

from django.contrib import admin
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from schema import schema
from schema.csrf import csrf_token
from schema.view import GraphQLView
from users.admin_site import site as admin_site
from users.views import jwks

# The admin asks staff with two-factor on for their code; it takes over what
# the apps registered on Django's default site.
admin_site.adopt(admin.site)

urlpatterns = [
    path("admin/", admin_site.urls),
    path("graphql/", csrf_exempt(GraphQLView.as_view(schema=schema))),
    path(".well-known/jwks.json", jwks, name="jwks"),
    path("csrf/", csrf_token, name="csrf"),
]
