"""Encode every product text with both sentence models into the shared cache, so the
first chat answer does not wait for it (about 2 minutes for the multilingual model)."""

from django.core.management.base import BaseCommand

from assistant import retrieval


class Command(BaseCommand):
    help = "Fill the assistant's product embeddings (MiniLM and multilingual-e5-small) in ARTIFACTS_DIR/embeddings."

    def handle(self, *args, **options):
        retrieval.index_clear()
        index = retrieval.product_index(progress=True)
        self.stdout.write(f"{len(index.ids)} products indexed with {', '.join(index.vectors)}")
