"""Full-text search kept in sync by the database itself.

PostgreSQL: a `search_vector` tsvector column on catalog_product (name weight
A, category name weight B, English stemming), filled by a trigger on every
insert/update and refreshed when a category is renamed, with a GIN index; and
the pg_trgm extension with a trigram index on the name (autocomplete).
SQLite (the embedded default): an FTS5 table `catalog_product_fts` (porter
stemming, rowid = product id) kept in sync by triggers the same way.

Triggers rather than Python signals, so bulk_create (the history import),
queryset.update() and the admin all keep the index right."""

from django.db import migrations

PG_FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "ALTER TABLE catalog_product ADD COLUMN search_vector tsvector",
    """
    CREATE FUNCTION catalog_product_search_vector() RETURNS trigger AS $$
    BEGIN
      NEW.search_vector :=
        setweight(to_tsvector('english', coalesce(NEW.name, '')), 'A') ||
        setweight(to_tsvector('english', coalesce(
          (SELECT c.name FROM catalog_category c WHERE c.id = NEW.category_id), '')), 'B');
      RETURN NEW;
    END $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER catalog_product_search_vector_trg BEFORE INSERT OR UPDATE OF name, category_id
    ON catalog_product FOR EACH ROW EXECUTE FUNCTION catalog_product_search_vector()
    """,
    """
    CREATE FUNCTION catalog_category_search_vector() RETURNS trigger AS $$
    BEGIN
      IF NEW.name IS DISTINCT FROM OLD.name THEN
        UPDATE catalog_product SET name = name WHERE category_id = NEW.id;
      END IF;
      RETURN NEW;
    END $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER catalog_category_search_vector_trg AFTER UPDATE OF name
    ON catalog_category FOR EACH ROW EXECUTE FUNCTION catalog_category_search_vector()
    """,
    "UPDATE catalog_product SET name = name",
    "CREATE INDEX catalog_product_search_gin ON catalog_product USING gin (search_vector)",
    "CREATE INDEX catalog_product_name_trgm ON catalog_product USING gin (lower(name) gin_trgm_ops)",
]
PG_BACKWARD = [
    "DROP INDEX IF EXISTS catalog_product_name_trgm",
    "DROP INDEX IF EXISTS catalog_product_search_gin",
    "DROP TRIGGER IF EXISTS catalog_category_search_vector_trg ON catalog_category",
    "DROP FUNCTION IF EXISTS catalog_category_search_vector()",
    "DROP TRIGGER IF EXISTS catalog_product_search_vector_trg ON catalog_product",
    "DROP FUNCTION IF EXISTS catalog_product_search_vector()",
    "ALTER TABLE catalog_product DROP COLUMN IF EXISTS search_vector",
]

SQLITE_FORWARD = [
    "CREATE VIRTUAL TABLE catalog_product_fts USING fts5(name, category, tokenize='porter unicode61')",
    """
    CREATE TRIGGER catalog_product_fts_ai AFTER INSERT ON catalog_product BEGIN
      INSERT INTO catalog_product_fts(rowid, name, category)
      VALUES (new.id, new.name, (SELECT name FROM catalog_category WHERE id = new.category_id));
    END
    """,
    """
    CREATE TRIGGER catalog_product_fts_au AFTER UPDATE OF name, category_id ON catalog_product BEGIN
      DELETE FROM catalog_product_fts WHERE rowid = old.id;
      INSERT INTO catalog_product_fts(rowid, name, category)
      VALUES (new.id, new.name, (SELECT name FROM catalog_category WHERE id = new.category_id));
    END
    """,
    """
    CREATE TRIGGER catalog_product_fts_ad AFTER DELETE ON catalog_product BEGIN
      DELETE FROM catalog_product_fts WHERE rowid = old.id;
    END
    """,
    """
    CREATE TRIGGER catalog_category_fts_au AFTER UPDATE OF name ON catalog_category BEGIN
      UPDATE catalog_product_fts SET category = new.name
      WHERE rowid IN (SELECT id FROM catalog_product WHERE category_id = new.id);
    END
    """,
    """
    INSERT INTO catalog_product_fts(rowid, name, category)
    SELECT p.id, p.name, c.name FROM catalog_product p JOIN catalog_category c ON c.id = p.category_id
    """,
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS catalog_category_fts_au",
    "DROP TRIGGER IF EXISTS catalog_product_fts_ad",
    "DROP TRIGGER IF EXISTS catalog_product_fts_au",
    "DROP TRIGGER IF EXISTS catalog_product_fts_ai",
    "DROP TABLE IF EXISTS catalog_product_fts",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for sql in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"postgresql": PG_FORWARD, "sqlite": SQLITE_FORWARD}),
            _run({"postgresql": PG_BACKWARD, "sqlite": SQLITE_BACKWARD}),
        ),
    ]
