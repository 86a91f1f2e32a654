from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('clients', '0004_client_details'),
    ]

    operations = [
        migrations.AddField(
            model_name='clientimport',
            name='checked_rows',
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AlterField(
            model_name='clientimport',
            name='status',
            field=models.CharField(choices=[('uploaded', 'Uploaded'), ('checking', 'Checking'), ('dry_run_done', 'Checked'), ('running', 'Running'), ('done', 'Imported'), ('failed', 'Failed')], default='uploaded', max_length=12),
        ),
    ]
