from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    dependencies = [("auth", "0012_alter_user_first_name_max_length"), ("contenttypes", "0002_remove_content_type_name")]

    operations = [
        migrations.CreateModel(
            name="StudioAccess",
            fields=[("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID"))],
            options={
                "managed": False,
                "default_permissions": (),
                "permissions": [
                    ("view_members", "Look up members and their credits"),
                    ("adjust_credits", "Adjust members' credits"),
                    ("export_members", "Export member lists"),
                    ("view_audit", "See the audit log"),
                    ("manage_connection", "Change the Wix connection"),
                    ("manage_staff", "Manage staff accounts"),
                ],
            },
        ),
    ]
