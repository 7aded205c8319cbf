"""DRF's plaintext tokens (rest_framework.authtoken, no longer installed) become hashed `write`
keys: each keeps working as it is, until revoked, and no plaintext stays in the database.

Read with SQL because the authtoken app is gone; a database that never had the table has nothing to
migrate. Going back leaves the keys (the plaintext cannot be recovered)."""

from django.db import migrations
from rest_framework_api_key.crypto import KeyGenerator

TOKEN_TABLE = "authtoken_token"
MIGRATED_KEY_NAME = "API token (before keys)"


def drf_tokens_into_keys(apps, schema_editor) -> None:
    connection = schema_editor.connection
    if TOKEN_TABLE not in connection.introspection.table_names():
        return
    APIKey = apps.get_model("accounts", "APIKey")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT key, user_id, created FROM {TOKEN_TABLE} ORDER BY created, key")
        tokens = cursor.fetchall()
    taken = set(APIKey.objects.values_list("prefix", flat=True))
    hasher = KeyGenerator()
    for secret, user_id, created in tokens:
        # The prefix only labels the key in lists (a token is found by its hash): an unused
        # eight-character piece of the token, so its owner recognises it.
        prefix = next(secret[i : i + 8] for i in range(0, len(secret) - 7, 8) if secret[i : i + 8] not in taken)
        taken.add(prefix)
        hashed = hasher.hash(secret)
        APIKey.objects.create(
            id=f"{prefix}.{hashed}",
            prefix=prefix,
            hashed_key=hashed,
            name=MIGRATED_KEY_NAME,
            scope="write",
            user_id=user_id,
        )
        APIKey.objects.filter(prefix=prefix).update(created=created)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {TOKEN_TABLE}")


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [migrations.RunPython(drf_tokens_into_keys, migrations.RunPython.noop)]
