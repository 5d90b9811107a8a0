"""The exported SDL is what clients generate code from: it must match."""

from pathlib import Path

from django.conf import settings
from django.core.management import call_command

from users.management.commands.export_schema import schema_sdl


def test_schema_graphql_matches_the_code():
    exported = (Path(settings.BASE_DIR) / "schema.graphql").read_text()
    assert exported == schema_sdl(), "run `make schema` and commit schema.graphql"


def test_export_schema_writes_the_sdl(tmp_path):
    target = tmp_path / "out.graphql"
    call_command("export_schema", output=str(target))
    text = target.read_text()
    assert "type Query" in text
    assert "tokenAuth(username: String!, password: String!" in text
