from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("documents", "0002_foldertemplate_organisations"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="document",
            index=models.Index(fields=["folder", "deleted_at", "latest", "id"], name="document_live_by_folder"),
        ),
        migrations.AddIndex(
            model_name="document",
            index=models.Index(fields=["-updated_at"], name="document_recent"),
        ),
    ]
