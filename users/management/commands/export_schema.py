"""Write the GraphQL schema as SDL to schema.graphql (or print it)."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from schema import schema


def schema_sdl() -> str:
    return schema.as_str().rstrip() + "\n"


class Command(BaseCommand):
    help = "Export the GraphQL schema (SDL) for clients and code generators."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--output",
            default=str(Path(settings.BASE_DIR) / "schema.graphql"),
            help="File to write; '-' prints to standard output.",
        )

    def handle(self, *args, output: str, **options) -> None:
        sdl = schema_sdl()
        if output == "-":
            self.stdout.write(sdl, ending="")
            return
        Path(output).write_text(sdl)
        self.stdout.write(f"Wrote {output}")
